//! One error type for the whole core, so every binding can turn it into its own error shape.

/// The underlying failure (a rusqlite, I/O or driver error) kept behind a storage error, so
/// `source()` chains reach it; the message already says what it means for the user.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in Sextant. Messages name the bad input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection string did not have the `backend://config` shape.
    #[error(
        "invalid store connection string {input:?}: expected backend://config, one of: {forms}"
    )]
    InvalidConnectionString {
        /// The string as given.
        input: String,
        /// The registered `backend://config` forms, comma-separated, to show the user.
        forms: String,
    },
    /// The connection string named a backend nobody registered.
    #[error("unknown store backend {scheme:?} in {input:?}; valid forms: {forms}")]
    UnknownBackend {
        /// The part before `://`.
        scheme: String,
        /// The whole connection string as given.
        input: String,
        /// The registered forms, comma-separated, to show the user.
        forms: String,
    },
    /// A tracker call without an experiment id while no experiment is current.
    #[error("no active experiment: call start_experiment first or pass an experiment id")]
    NoActiveExperiment,
    /// The store holds no experiment with this id (never created, or deleted).
    #[error("experiment {0:?} not found")]
    ExperimentNotFound(String),
    /// Creating an experiment whose id is taken; stores never overwrite one.
    #[error("experiment {0:?} already exists")]
    ExperimentExists(String),
    /// Logging to an experiment this tracker has not started or resumed.
    #[error("experiment {0:?} is not open in this tracker: call start_experiment with its id to resume it")]
    ExperimentNotOpen(String),
    /// Logging to an experiment this tracker has ended; resuming it makes logging work again.
    #[error("experiment {id:?} has ended ({status}); start_experiment with its id resumes it")]
    ExperimentEnded {
        /// The experiment's id.
        id: String,
        /// How it ended: `completed` or `failed` (sent as `name` on the wire).
        status: String,
    },
    /// A key, name, id, step or value that breaks the contract's rules.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// What was wrong, e.g. `metric key` or `attachment name`.
        what: &'static str,
        /// The rejected value as given (may be empty).
        value: String,
        /// Which rule it breaks, phrased to tell the user how to fix it.
        reason: String,
    },
    /// The experiment exists but holds no attachment of this name.
    #[error("attachment {name:?} not found in experiment {experiment:?}")]
    AttachmentNotFound {
        /// The experiment's id.
        experiment: String,
        /// The attachment name asked for.
        name: String,
    },
    /// The experiment exists but has no span with this trace id (from the tracker's
    /// `get_trace` and the server; [`crate::Store::list_spans`] returns an empty list instead).
    #[error("trace {trace_id:?} not found in experiment {experiment:?}")]
    TraceNotFound {
        /// The experiment's id.
        experiment: String,
        /// The trace id asked for (32 hex digits).
        trace_id: String,
    },
    /// The backing storage refused the write because it is full; nothing stored was lost.
    #[error("store is full: {message}")]
    QuotaExceeded {
        /// What failed, naming the file, database or server involved.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// Files or databases that exist but cannot be read as a Sextant/luml store.
    #[error("corrupt store: {message}")]
    Corrupt {
        /// What failed, naming the file, database or server involved.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// A luml snapshot (tar) that cannot be read or written.
    #[error("invalid snapshot: {0}")]
    Snapshot(String),
    /// Any other failure of the backing storage, with context. May pass (I/O, a lock).
    #[error("storage error: {message}")]
    Storage {
        /// What failed, naming the file, database or server involved.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The store was opened read-only (a read-only mount, or no write permission).
    #[error("store is read-only: {message}")]
    ReadOnly {
        /// What failed, naming the file, database or server involved.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The server refused the credentials (a missing, wrong or revoked token).
    #[error("not authorized: {0}")]
    Unauthorized(String),
    /// The credentials are valid but may not do this (a read-only token writing).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A remote store cannot be reached or is overloaded right now; retrying may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    /// A stable, machine-readable name for the kind of error: the `code` on the wire, on JS
    /// errors and on Python exceptions. Codes never change meaning once released.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConnectionString { .. } => "INVALID_CONNECTION_STRING",
            Error::UnknownBackend { .. } => "UNKNOWN_BACKEND",
            Error::NoActiveExperiment => "NO_ACTIVE_EXPERIMENT",
            Error::ExperimentNotFound(_) => "EXPERIMENT_NOT_FOUND",
            Error::ExperimentExists(_) => "EXPERIMENT_EXISTS",
            Error::ExperimentNotOpen(_) => "EXPERIMENT_NOT_OPEN",
            Error::ExperimentEnded { .. } => "EXPERIMENT_ENDED",
            Error::InvalidInput { .. } => "INVALID_INPUT",
            Error::AttachmentNotFound { .. } => "ATTACHMENT_NOT_FOUND",
            Error::TraceNotFound { .. } => "TRACE_NOT_FOUND",
            Error::QuotaExceeded { .. } => "QUOTA_EXCEEDED",
            Error::Corrupt { .. } => "CORRUPT",
            Error::Snapshot(_) => "SNAPSHOT",
            Error::Storage { .. } => "STORAGE",
            Error::ReadOnly { .. } => "READ_ONLY",
            Error::Unauthorized(_) => "UNAUTHORIZED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::Unavailable(_) => "UNAVAILABLE",
        }
    }

    /// Every code [`Error::code`] can return, for schema tests and documentation.
    pub const CODES: &'static [&'static str] = &[
        "INVALID_CONNECTION_STRING",
        "UNKNOWN_BACKEND",
        "NO_ACTIVE_EXPERIMENT",
        "EXPERIMENT_NOT_FOUND",
        "EXPERIMENT_EXISTS",
        "EXPERIMENT_NOT_OPEN",
        "EXPERIMENT_ENDED",
        "INVALID_INPUT",
        "ATTACHMENT_NOT_FOUND",
        "TRACE_NOT_FOUND",
        "QUOTA_EXCEEDED",
        "CORRUPT",
        "SNAPSHOT",
        "STORAGE",
        "READ_ONLY",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "UNAVAILABLE",
    ];

    /// True when the same write may succeed later unchanged (I/O, a full disk being freed,
    /// a server restarting), so trackers keep the data and retry; false when retrying can
    /// never help (bad input, unknown ids, bad credentials), so they drop and report it.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Storage { .. } | Error::QuotaExceeded { .. } | Error::Unavailable(_)
        )
    }

    /// The error a `code`, message and fields from the wire stand for: the inverse of
    /// [`Error::code`] for remote stores. `field` looks up what the error is about
    /// (`experiment`, `name`, `what`, `value`, `reason`), as the server sends them.
    pub fn from_wire(code: &str, message: String, field: impl Fn(&str) -> Option<String>) -> Self {
        let experiment = || field("experiment").unwrap_or_default();
        let name = || field("name").unwrap_or_default();
        match code {
            "NO_ACTIVE_EXPERIMENT" => Error::NoActiveExperiment,
            "EXPERIMENT_NOT_FOUND" => Error::ExperimentNotFound(experiment()),
            "EXPERIMENT_EXISTS" => Error::ExperimentExists(experiment()),
            "EXPERIMENT_NOT_OPEN" => Error::ExperimentNotOpen(experiment()),
            "EXPERIMENT_ENDED" => Error::ExperimentEnded {
                id: experiment(),
                status: name(),
            },
            "ATTACHMENT_NOT_FOUND" => Error::AttachmentNotFound {
                experiment: experiment(),
                name: name(),
            },
            "TRACE_NOT_FOUND" => Error::TraceNotFound {
                experiment: experiment(),
                trace_id: name(),
            },
            "INVALID_INPUT" | "INVALID_CONNECTION_STRING" | "UNKNOWN_BACKEND" => {
                Error::InvalidInput {
                    what: "request",
                    value: field("value").unwrap_or_default(),
                    reason: field("reason").unwrap_or(message),
                }
            }
            "QUOTA_EXCEEDED" => Error::quota_exceeded(message),
            "CORRUPT" => Error::corrupt(message),
            "SNAPSHOT" => Error::Snapshot(message),
            "READ_ONLY" => Error::read_only(message),
            "UNAUTHORIZED" => Error::Unauthorized(message),
            "FORBIDDEN" => Error::Forbidden(message),
            "UNAVAILABLE" => Error::Unavailable(message),
            _ => Error::storage(message),
        }
    }
}

impl Error {
    /// A storage failure that may pass (I/O, a lock): see [`Error::Storage`].
    pub fn storage(message: impl Into<String>) -> Self {
        Error::Storage {
            message: message.into(),
            source: None,
        }
    }

    /// Files or databases that cannot be read as a store: see [`Error::Corrupt`].
    pub fn corrupt(message: impl Into<String>) -> Self {
        Error::Corrupt {
            message: message.into(),
            source: None,
        }
    }

    /// The storage is full: see [`Error::QuotaExceeded`].
    pub fn quota_exceeded(message: impl Into<String>) -> Self {
        Error::QuotaExceeded {
            message: message.into(),
            source: None,
        }
    }

    /// The store cannot be written: see [`Error::ReadOnly`].
    pub fn read_only(message: impl Into<String>) -> Self {
        Error::ReadOnly {
            message: message.into(),
            source: None,
        }
    }

    /// Keeps `cause` as this error's `source()` (storage, corrupt, quota and read-only errors;
    /// other kinds describe bad input and have no cause to keep).
    pub fn with_source(mut self, cause: impl Into<Cause>) -> Self {
        if let Error::Storage { source, .. }
        | Error::Corrupt { source, .. }
        | Error::QuotaExceeded { source, .. }
        | Error::ReadOnly { source, .. } = &mut self
        {
            *source = Some(cause.into());
        }
        self
    }

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

/// The result of every fallible call in Sextant.
pub type Result<T, E = Error> = std::result::Result<T, E>;
