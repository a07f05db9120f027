//! (keys: not built yet — see the open issue.)
