//! The Sextant dashboard. [`view`] holds the logic (native and tested); the yew app in
//! `app` (wasm only) renders it over any store through the core's `Store` contract.

pub mod view;

#[cfg(target_arch = "wasm32")]
mod app;

#[cfg(target_arch = "wasm32")]
pub use app::start;
