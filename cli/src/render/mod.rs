//! Renderers: typed results from glassbox-core to text, Markdown and HTML.
//! The core never formats; everything human-readable is built here.

pub mod diff;
