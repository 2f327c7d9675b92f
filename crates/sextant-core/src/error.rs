//! One error type for the whole core, so every binding can turn it into its own error shape.

/// Everything that can go wrong in Sextant. Messages name the bad input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection string did not have the `backend://config` shape.
    #[error(
        "invalid store connection string {input:?}: expected backend://config, one of: {forms}"
    )]
    InvalidConnectionString { input: String, forms: String },
    /// The connection string named a backend nobody registered.
    #[error("unknown store backend {scheme:?} in {input:?}; valid forms: {forms}")]
    UnknownBackend {
        scheme: String,
        input: String,
        forms: String,
    },
    #[error("no active experiment: call start_experiment first or pass an experiment id")]
    NoActiveExperiment,
    #[error("experiment {0:?} not found")]
    ExperimentNotFound(String),
    #[error("experiment {0:?} already exists")]
    ExperimentExists(String),
    /// Logging to an experiment this tracker has not started or resumed.
    #[error("experiment {0:?} is not open in this tracker: call start_experiment with its id to resume it")]
    ExperimentNotOpen(String),
    #[error("experiment {id:?} has ended ({status}); start_experiment with its id resumes it")]
    ExperimentEnded { id: String, status: String },
    /// A key, name, id, step or value that breaks the contract's rules.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("attachment {name:?} not found in experiment {experiment:?}")]
    AttachmentNotFound { experiment: String, name: String },
    #[error("trace {trace_id:?} not found in experiment {experiment:?}")]
    TraceNotFound {
        experiment: String,
        trace_id: String,
    },
    /// The backing storage refused the write because it is full; nothing stored was lost.
    #[error("store is full: {0}")]
    QuotaExceeded(String),
    /// Files or databases that exist but cannot be read as a Sextant/luml store.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    #[error("invalid snapshot: {0}")]
    Snapshot(String),
    /// Any other failure of the backing storage, with context.
    #[error("storage error: {0}")]
    Storage(String),
}

impl Error {
    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
