//! Renderers: typed results from glassbox-core to text, JSON, Markdown and
//! HTML. The core never formats; everything a command writes to stdout or
//! stderr is built and written here (`--format` is [`Format`]).

pub mod diff;
pub mod format;
pub mod ui;

pub use format::{Format, Formats, TEXT_JSON};
