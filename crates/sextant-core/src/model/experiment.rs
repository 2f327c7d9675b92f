use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{lossless_f64, ParamValue};

/// Lifecycle state. luml calls these `active`, `completed` and `error`; both spellings parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[serde(alias = "active")]
    Running,
    Completed,
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
    pub id: String,
    pub name: String,
    /// Group name (every experiment has one; `default` unless given).
    pub group: String,
    pub status: Status,
    pub tags: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Seconds, once ended.
    pub duration: Option<f64>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub params: BTreeMap<String, ParamValue>,
    /// Each metric's value at its highest step.
    #[serde(with = "lossless_f64::map")]
    pub metrics: BTreeMap<String, f64>,
    /// Set when the experiment is listed but its data cannot be read (a corrupt or
    /// missing exp.db): why. Lists show such runs instead of failing as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// What a store needs to create an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewExperiment {
    pub id: String,
    pub name: String,
    pub group: String,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub description: Option<String>,
    pub source: Option<String>,
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
        }
    }
}

/// Fields `update_experiment` may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub experiment_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Relative name, `/`-separated.
    pub name: String,
    pub size: u64,
    pub created_at: i64,
}

/// A model file linked to the experiment that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    /// Where the model file is: relative to the store root when inside it, else absolute.
    pub path: String,
    pub created_at: i64,
    pub size: Option<u64>,
}
