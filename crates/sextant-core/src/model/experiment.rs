use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{lossless_f64, ParamValue};

/// Lifecycle state. luml calls these `active`, `completed` and `error`; both spellings parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Started or resumed and not ended yet (also how a crashed run stays).
    #[serde(alias = "active")]
    Running,
    /// Ended normally (`end_experiment`).
    Completed,
    /// Ended by `fail_experiment`.
    #[serde(alias = "error")]
    Failed,
}

impl Status {
    /// The spelling luml stores.
    pub fn luml_name(self) -> &'static str {
        match self {
            Status::Running => "active",
            Status::Completed => "completed",
            Status::Failed => "error",
        }
    }

    /// Sextant's spelling, as shown and serialized: `running`, `completed`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }

    /// Accepts both our names and luml's; anything unknown reads as running so it stays visible.
    pub fn parse_lenient(s: &str) -> Status {
        match s {
            "completed" => Status::Completed,
            "error" | "failed" => Status::Failed,
            _ => Status::Running,
        }
    }
}

/// The one parser for status names people type (`?status=`, `--status`, the dashboard's
/// URL): Sextant's names, luml's and MLflow's (`FINISHED`, `KILLED` as failed, `SCHEDULED`
/// as running), any case.
impl std::str::FromStr for Status {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "running" | "active" | "scheduled" => Ok(Status::Running),
            "completed" | "finished" => Ok(Status::Completed),
            "failed" | "error" | "killed" => Ok(Status::Failed),
            _ => Err(crate::Error::InvalidInput {
                what: "status",
                value: s.to_string(),
                reason: "use running, completed or failed".into(),
            }),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One experiment as the list and detail views show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentInfo {
    /// Unique and fixed: a UUID unless the caller chose one; in a SQLite store it names the
    /// experiment's folder.
    pub id: String,
    /// Shown in tables; need not be unique (the id is). Generated (`brave-falcon-042`)
    /// when not given.
    pub name: String,
    /// Group name (every experiment has one; `default` unless given).
    pub group: String,
    /// Lifecycle state.
    pub status: Status,
    /// Free labels, in the order given; filters match any of them.
    pub tags: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Seconds, once ended; `None` while running (or when a store never recorded it).
    pub duration: Option<f64>,
    /// Free text set at start or by `update_experiment`; `None` when never set.
    pub description: Option<String>,
    /// The script or program that ran, as the caller gave it.
    pub source: Option<String>,
    /// Static params: each key's latest logged value.
    pub params: BTreeMap<String, ParamValue>,
    /// Each metric's value at its highest step (not the last one logged).
    #[serde(with = "lossless_f64::map")]
    pub metrics: BTreeMap<String, f64>,
    /// Set when the experiment is listed but its data cannot be read (a corrupt or
    /// missing exp.db): why. Lists show such runs instead of failing as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The name of the access token that created it through a server (`sextant token`);
    /// `None` for runs logged straight into a store or through a server without tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// What a store needs to create an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewExperiment {
    /// Must pass [`crate::validate::experiment_id`]; the tracker generates a UUID.
    pub id: String,
    /// Display name; the tracker generates one when the user gives none.
    pub name: String,
    /// Group name, created on first use.
    pub group: String,
    /// Free labels.
    pub tags: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Free text, if any.
    pub description: Option<String>,
    /// The script or program that ran, if known.
    pub source: Option<String>,
    /// See [`ExperimentInfo::created_by`]. A server sets it from the request's token,
    /// whatever the client sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

impl NewExperiment {
    /// An experiment with only an id, name, group and creation time (Unix ms): no tags,
    /// description, source or creator.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        group: impl Into<String>,
        created_at: i64,
    ) -> NewExperiment {
        NewExperiment {
            id: id.into(),
            name: name.into(),
            group: group.into(),
            tags: Vec::new(),
            created_at,
            description: None,
            source: None,
            created_by: None,
        }
    }
}

/// A just-created experiment as lists show it: running, no params or metrics yet.
impl From<NewExperiment> for ExperimentInfo {
    fn from(n: NewExperiment) -> Self {
        ExperimentInfo {
            id: n.id,
            name: n.name,
            group: n.group,
            status: Status::Running,
            tags: n.tags,
            created_at: n.created_at,
            duration: None,
            description: n.description,
            source: n.source,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
            created_by: n.created_by,
        }
    }
}

/// Fields `update_experiment` may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentUpdate {
    /// A new display name.
    pub name: Option<String>,
    /// A new description; `Some("")` empties it (it cannot be reset to `None`).
    pub description: Option<String>,
    /// The new tag list, replacing the old one whole (`Some(vec![])` removes every tag).
    pub tags: Option<Vec<String>>,
}

/// A group of experiments, made when its first experiment is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// The store's id for the group (a UUID in luml's layout); experiments refer to
    /// groups by name, not by this.
    pub id: String,
    /// Unique within a store; what [`ExperimentInfo::group`] holds.
    pub name: String,
    /// Set by luml tools; Sextant never writes one.
    pub description: Option<String>,
    /// Unix milliseconds: when its first experiment was created.
    pub created_at: i64,
    /// Experiments in the group now (0 once all are deleted; the group stays).
    pub experiment_count: u64,
}

/// An attachment as listed: its name and size, not its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Relative name, `/`-separated.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Unix milliseconds: when the current version was logged.
    pub created_at: i64,
}

/// A model file linked to the experiment that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Linking the same id again replaces the earlier link.
    pub id: String,
    /// Display name, e.g. the file name.
    pub name: String,
    /// Where the model file is: relative to the store root when inside it, else absolute.
    pub path: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Bytes, when known.
    pub size: Option<u64>,
}
