//! Core errors as the Python exceptions of `sextant.errors`, chosen by error kind.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use sextant::Error;

/// The stable code and the `sextant.errors` class for an error. The classes are defined in
/// Python so they can mix in `KeyError`/`ValueError` the way Python callers expect.
fn kind(e: &Error) -> (&'static str, &'static str) {
    match e {
        Error::InvalidConnectionString { .. } => {
            ("INVALID_CONNECTION_STRING", "InvalidConnectionError")
        }
        Error::UnknownBackend { .. } => ("UNKNOWN_BACKEND", "InvalidConnectionError"),
        Error::NoActiveExperiment => ("NO_ACTIVE_EXPERIMENT", "NoActiveExperimentError"),
        Error::ExperimentNotFound(_) => ("EXPERIMENT_NOT_FOUND", "ExperimentNotFoundError"),
        Error::ExperimentExists(_) => ("EXPERIMENT_EXISTS", "ExperimentExistsError"),
        Error::ExperimentNotOpen(_) => ("EXPERIMENT_NOT_OPEN", "ExperimentStateError"),
        Error::ExperimentEnded { .. } => ("EXPERIMENT_ENDED", "ExperimentStateError"),
        Error::InvalidInput { .. } => ("INVALID_INPUT", "InvalidInputError"),
        Error::AttachmentNotFound { .. } => ("ATTACHMENT_NOT_FOUND", "AttachmentNotFoundError"),
        Error::TraceNotFound { .. } => ("TRACE_NOT_FOUND", "TraceNotFoundError"),
        Error::QuotaExceeded(_) => ("QUOTA_EXCEEDED", "QuotaExceededError"),
        Error::Corrupt(_) => ("CORRUPT_STORE", "CorruptStoreError"),
        Error::Snapshot(_) => ("INVALID_SNAPSHOT", "SnapshotError"),
        Error::Storage(_) => ("STORAGE_ERROR", "StorageError"),
        // Variants added to the core later land on the base class until mapped here.
        #[allow(unreachable_patterns)]
        _ => ("SEXTANT_ERROR", "SextantError"),
    }
}

/// Builds the Python exception for a core error: `sextant.errors.<Class>(message, code)`.
pub(crate) fn to_py(e: Error) -> PyErr {
    let (code, class) = kind(&e);
    raise(class, code, e.to_string())
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
