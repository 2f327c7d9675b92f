//! Everything the dashboard decides that needs no browser: smoothing, axes, which points
//! to fetch and draw, table sorting and windowing, trace layout, safe previews, URLs.
//! Plain Rust, unit-tested natively; the yew components only render what these return.

pub mod analysis;
pub mod attachments;
pub mod chart_grid;
pub mod compare;
pub mod csv;
pub mod ema;
pub mod format;
pub mod grouping;
pub mod keys;
pub mod live;
pub mod markdown;
pub mod palette;
pub mod query;
pub mod scale;
pub mod search;
pub mod series;
pub mod source;
pub mod table;
pub mod ticks;
pub mod waterfall;
