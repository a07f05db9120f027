//! (dsse: not built yet — see the open issue.)
