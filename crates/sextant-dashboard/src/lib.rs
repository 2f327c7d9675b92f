//! The Sextant dashboard. [`view`] holds the logic (native and tested); the yew app in
//! `app` (wasm only) renders it over any store through the core's `Store` contract.

/// The dashboard's logic lives in its own crate so the CLI formats and ticks the same way.
pub use sextant_view as view;

#[cfg(target_arch = "wasm32")]
mod app;

#[cfg(target_arch = "wasm32")]
pub use app::start;
