//! (tuf: not built yet — see the open issue.)
