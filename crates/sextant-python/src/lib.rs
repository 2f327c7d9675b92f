//! The `sextant._sextant` extension module: the Rust core behind the Python package
//! `sextant` (its Python half lives in `python/sextant/`).

mod convert;
mod errors;
mod evals;
mod reads;
mod tracker;

use pyo3::prelude::*;

#[pymodule]
fn _sextant(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tracker::PyTracker>()?;
    m.add("DEFAULT_STORE", sextant::DEFAULT_STORE)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
