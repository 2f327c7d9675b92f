//! Core errors as the Python exceptions of `sextant.errors`, chosen by error kind.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use sextant::Error;

/// The `sextant.errors` class for an error (its `.code` is the core's own
/// [`Error::code`]). The classes are defined in Python so they can mix in
/// `KeyError`/`ValueError` the way Python callers expect.
fn class(e: &Error) -> &'static str {
    match e {
        Error::InvalidConnectionString { .. } | Error::UnknownBackend { .. } => {
            "InvalidConnectionError"
        }
        Error::NoActiveExperiment => "NoActiveExperimentError",
        Error::ExperimentNotFound(_) => "ExperimentNotFoundError",
        Error::ExperimentExists(_) => "ExperimentExistsError",
        Error::ExperimentNotOpen(_) | Error::ExperimentEnded { .. } => "ExperimentStateError",
        Error::InvalidInput { .. } => "InvalidInputError",
        Error::AttachmentNotFound { .. } => "AttachmentNotFoundError",
        Error::TraceNotFound { .. } => "TraceNotFoundError",
        Error::QuotaExceeded { .. } => "QuotaExceededError",
        Error::Corrupt { .. } => "CorruptStoreError",
        Error::Snapshot(_) => "SnapshotError",
        Error::Storage { .. } => "StorageError",
        Error::ReadOnly { .. } => "ReadOnlyError",
        Error::Unauthorized(_) | Error::Forbidden(_) => "PermissionDeniedError",
        Error::Unavailable(_) => "UnavailableError",
    }
}

/// Builds the Python exception for a core error: `sextant.errors.<Class>(message, code)`.
pub(crate) fn to_py(e: Error) -> PyErr {
    raise(class(&e), e.code(), e.to_string())
}

/// A value the binding refused before it reached the core (`InvalidInputError`, a ValueError).
pub(crate) fn invalid_value(message: String) -> PyErr {
    raise("InvalidInputError", "INVALID_INPUT", message)
}

/// A value of the wrong type (`InvalidTypeError`: both a ValueError and a TypeError).
pub(crate) fn invalid_type(message: String) -> PyErr {
    raise("InvalidTypeError", "INVALID_INPUT", message)
}

fn raise(class: &str, code: &str, message: String) -> PyErr {
    Python::attach(|py| {
        let built = py
            .import("sextant.errors")
            .and_then(|m| m.getattr(class))
            .and_then(|cls| cls.call1((message.as_str(), code)));
        match built {
            Ok(exc) => PyErr::from_value(exc),
            // The package's Python half is missing (extension imported on its own).
            Err(_) => PyRuntimeError::new_err(format!("{code}: {message}")),
        }
    })
}

/// `?` for core results inside `#[pymethods]`.
pub(crate) trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for sextant::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
