//! Evaluation samples and human annotations, as luml-sdk 0.4 stores them (`evals`,
//! `eval_traces_bridge`, `eval_annotations`, `span_annotations` in exp.db).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A JSON object: the shape of a sample's inputs, outputs, references, scores and metadata.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// One evaluation sample: what went into the model, what came out, what was expected and
/// how it scored. Keyed by (`dataset_id`, `id`); logging the same key again replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSample {
    /// The sample's id within its dataset (luml's `eval_id`).
    pub id: String,
    /// The evaluation dataset it belongs to.
    pub dataset_id: String,
    /// What the model was given.
    pub inputs: JsonObject,
    /// What the model produced; `None` when not logged (luml stores an empty object as NULL).
    #[serde(default)]
    pub outputs: Option<JsonObject>,
    /// Ground truth (luml's `references`, stored in the `refs` column).
    #[serde(default)]
    pub refs: Option<JsonObject>,
    /// Computed scores, usually numbers (`{"bleu": 0.72}`).
    #[serde(default)]
    pub scores: Option<JsonObject>,
    /// Anything else (latency, token counts).
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// Unix ms when first logged.
    pub created_at: i64,
    /// Unix ms when last logged.
    pub updated_at: i64,
    /// Traces linked with `link_eval_sample_to_trace`, as read back (ignored on write).
    #[serde(default)]
    pub trace_ids: Vec<String>,
    /// Its annotations counted by name, as pages of samples read back (ignored on write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<AnnotationSummary>,
}

impl EvalSample {
    /// A sample with only inputs, for the builder methods below; the tracker sets the times.
    pub fn new(id: impl Into<String>, dataset_id: impl Into<String>, inputs: JsonObject) -> Self {
        EvalSample {
            id: id.into(),
            dataset_id: dataset_id.into(),
            inputs,
            outputs: None,
            refs: None,
            scores: None,
            metadata: None,
            created_at: 0,
            updated_at: 0,
            trace_ids: Vec::new(),
            annotations: None,
        }
    }

    /// Sets the outputs (an empty object counts as none, as in luml).
    pub fn outputs(mut self, outputs: JsonObject) -> Self {
        self.outputs = Some(outputs).filter(|m| !m.is_empty());
        self
    }

    /// Sets the references (ground truth).
    pub fn references(mut self, refs: JsonObject) -> Self {
        self.refs = Some(refs).filter(|m| !m.is_empty());
        self
    }

    /// Sets the scores.
    pub fn scores(mut self, scores: JsonObject) -> Self {
        self.scores = Some(scores).filter(|m| !m.is_empty());
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: JsonObject) -> Self {
        self.metadata = Some(metadata).filter(|m| !m.is_empty());
        self
    }

    /// The object for `column` (`inputs`, `outputs`, `refs`, `scores`, `metadata`).
    pub fn column(&self, column: EvalColumn) -> Option<&JsonObject> {
        match column {
            EvalColumn::Inputs => Some(&self.inputs),
            EvalColumn::Outputs => self.outputs.as_ref(),
            EvalColumn::Refs => self.refs.as_ref(),
            EvalColumn::Scores => self.scores.as_ref(),
            EvalColumn::Metadata => self.metadata.as_ref(),
        }
    }

    /// A numeric score (booleans count as 1 and 0), if the sample has one under `key`.
    pub fn score(&self, key: &str) -> Option<f64> {
        self.scores.as_ref()?.get(key).and_then(number)
    }
}

/// A JSON number, or a boolean as 1/0 (what SQLite's `json_each` gives luml's AVG).
pub fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// The JSON columns of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalColumn {
    /// `inputs`
    Inputs,
    /// `outputs`
    Outputs,
    /// `refs` (references)
    Refs,
    /// `scores`
    Scores,
    /// `metadata`
    Metadata,
}

impl EvalColumn {
    /// Every column, in luml's order.
    pub const ALL: [EvalColumn; 5] = [
        EvalColumn::Inputs,
        EvalColumn::Outputs,
        EvalColumn::Refs,
        EvalColumn::Scores,
        EvalColumn::Metadata,
    ];

    /// The column's name in luml's `evals` table.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalColumn::Inputs => "inputs",
            EvalColumn::Outputs => "outputs",
            EvalColumn::Refs => "refs",
            EvalColumn::Scores => "scores",
            EvalColumn::Metadata => "metadata",
        }
    }

    /// The column named `name` (`references` is accepted for `refs`).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "inputs" => EvalColumn::Inputs,
            "outputs" => EvalColumn::Outputs,
            "refs" | "references" => EvalColumn::Refs,
            "scores" => EvalColumn::Scores,
            "metadata" => EvalColumn::Metadata,
            _ => return None,
        })
    }
}

/// luml's two kinds of annotation: a judgement of the output (always a bool) or what
/// the output should have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    /// Thumbs up or down (`value_type` must be `bool`).
    Feedback,
    /// The expected value, of any value type.
    Expectation,
}

impl AnnotationKind {
    /// The text luml stores.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationKind::Feedback => "feedback",
            AnnotationKind::Expectation => "expectation",
        }
    }

    /// Parses luml's text; anything else is [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "feedback" => Ok(AnnotationKind::Feedback),
            "expectation" => Ok(AnnotationKind::Expectation),
            _ => Err(Error::invalid(
                "annotation kind",
                text,
                "must be 'feedback' or 'expectation'",
            )),
        }
    }
}

/// The type of an annotation's value, as luml stores it beside the value text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationValueType {
    /// A whole number.
    Int,
    /// `true` or `false`.
    Bool,
    /// Free text.
    String,
}

impl AnnotationValueType {
    /// The text luml stores.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationValueType::Int => "int",
            AnnotationValueType::Bool => "bool",
            AnnotationValueType::String => "string",
        }
    }

    /// Parses luml's text; anything else is [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "int" => Ok(AnnotationValueType::Int),
            "bool" => Ok(AnnotationValueType::Bool),
            "string" => Ok(AnnotationValueType::String),
            _ => Err(Error::invalid(
                "annotation value type",
                text,
                "must be 'int', 'bool' or 'string'",
            )),
        }
    }
}

/// An annotation's value; JSON `3`, `true` or `"text"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnnotationValue {
    /// For [`AnnotationValueType::Bool`].
    Bool(bool),
    /// For [`AnnotationValueType::Int`].
    Int(i64),
    /// For [`AnnotationValueType::String`].
    String(String),
}

impl AnnotationValue {
    /// The type this value has.
    pub fn value_type(&self) -> AnnotationValueType {
        match self {
            AnnotationValue::Bool(_) => AnnotationValueType::Bool,
            AnnotationValue::Int(_) => AnnotationValueType::Int,
            AnnotationValue::String(_) => AnnotationValueType::String,
        }
    }

    /// The text luml stores: `true`/`false`, a decimal, or the string itself.
    pub fn to_luml_text(&self) -> String {
        match self {
            AnnotationValue::Bool(b) => b.to_string(),
            AnnotationValue::Int(i) => i.to_string(),
            AnnotationValue::String(s) => s.clone(),
        }
    }

    /// Reads luml's stored text as luml does (`bool`: case-insensitive `true`; `int`: a
    /// decimal). An `int` that does not parse is kept as text rather than lost.
    pub fn from_luml_text(text: &str, value_type: AnnotationValueType) -> Self {
        match value_type {
            AnnotationValueType::Bool => AnnotationValue::Bool(text.eq_ignore_ascii_case("true")),
            AnnotationValueType::Int => text.trim().parse().map_or_else(
                |_| AnnotationValue::String(text.to_string()),
                AnnotationValue::Int,
            ),
            AnnotationValueType::String => AnnotationValue::String(text.to_string()),
        }
    }

    /// Checks that this value has `value_type`.
    pub fn check_type(&self, value_type: AnnotationValueType) -> Result<()> {
        if self.value_type() == value_type {
            return Ok(());
        }
        Err(Error::invalid(
            "annotation value",
            self.to_luml_text(),
            format!(
                "is a {}, but the annotation's value_type is '{}'",
                self.value_type().as_str(),
                value_type.as_str()
            ),
        ))
    }
}

/// Which table an annotation lives in (luml's `target` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationTarget {
    /// `eval_annotations`: on an eval sample.
    Eval,
    /// `span_annotations`: on a span of a trace.
    Span,
}

impl AnnotationTarget {
    /// Parses luml's `"eval"` / `"span"`.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "eval" => Ok(AnnotationTarget::Eval),
            "span" => Ok(AnnotationTarget::Span),
            _ => Err(Error::invalid(
                "annotation target",
                text,
                "must be 'eval' or 'span'",
            )),
        }
    }

    /// luml's text for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationTarget::Eval => "eval",
            AnnotationTarget::Span => "span",
        }
    }
}

/// What an annotation is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum AnnotationSubject {
    /// An eval sample.
    Eval {
        /// The sample's dataset.
        dataset_id: String,
        /// The sample's id.
        eval_id: String,
    },
    /// A span.
    Span {
        /// The span's trace (32 hex digits).
        trace_id: String,
        /// The span (16 hex digits).
        span_id: String,
    },
}

impl AnnotationSubject {
    /// The table it is stored in.
    pub fn target(&self) -> AnnotationTarget {
        match self {
            AnnotationSubject::Eval { .. } => AnnotationTarget::Eval,
            AnnotationSubject::Span { .. } => AnnotationTarget::Span,
        }
    }
}

/// A human judgement on an eval sample or a span (luml's `AnnotationRecord`, plus what it
/// is attached to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// A uuid, made by the tracker.
    pub id: String,
    /// What it annotates.
    #[serde(flatten)]
    pub subject: AnnotationSubject,
    /// What is judged, for grouping (`correct`, `relevance`).
    pub name: String,
    /// Feedback or expectation.
    pub annotation_kind: AnnotationKind,
    /// The type of `value`.
    pub value_type: AnnotationValueType,
    /// The judgement.
    pub value: AnnotationValue,
    /// Who made it.
    pub user: String,
    /// Why, in free text.
    #[serde(default)]
    pub rationale: Option<String>,
    /// Unix ms.
    pub created_at: i64,
}

/// Feedback on one annotation name: how many of each value (`{"true": 3, "false": 1}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    /// The annotation name.
    pub name: String,
    /// Annotations with this name.
    pub total: u64,
    /// Count per stored value text.
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// Expectations of one annotation name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationSummary {
    /// The annotation name.
    pub name: String,
    /// Annotations with this name.
    pub total: u64,
    /// Bool expectations that are `true`.
    pub positive: u64,
    /// Bool expectations that are `false`.
    pub negative: u64,
    /// For non-bool expectations, the greatest stored value (luml's `MAX(value)`).
    pub value: Option<AnnotationValue>,
}

/// Annotations counted by name (luml's `AnnotationSummary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationSummary {
    /// Feedback by name, sorted by name.
    pub feedback: Vec<FeedbackSummary>,
    /// Expectations by name, sorted by name.
    pub expectations: Vec<ExpectationSummary>,
}

impl AnnotationSummary {
    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.feedback.is_empty() && self.expectations.is_empty()
    }
}
