//! (x509: not built yet — see the open issue.)
