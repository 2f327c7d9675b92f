//! The typed tree a filter parses into; stores evaluate it in memory or translate it.

/// Static values whose key starts with this hold key/value tags (`tags#team` = `"nlp"`):
/// `#` is outside MLflow's key alphabet, so no MLflow param can collide with one. A JSON
/// `null` there is a deleted tag (static values cannot be removed).
pub const KV_TAG_PREFIX: &str = "tags#";

/// A whole filter: comparisons joined by `and` / `or`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Comparison),
}

/// `KEY OP VALUE`, with where it starts in the filter (for errors found after parsing).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub key: Key,
    pub op: Op,
    pub value: Value,
    /// Byte offset of the key in the filter text.
    pub offset: usize,
}

/// What a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A metric's latest value.
    Metric(String),
    Param(String),
    /// The run's tag list: `tags = 'x'` means the run has tag `x`.
    Tags,
    /// A key/value tag (`tags.KEY`): the static value under [`KV_TAG_PREFIX`]`KEY`, the
    /// convention the MLflow API keeps its tags in.
    Tag(String),
    Attr(Attribute),
}

/// The run fields a filter or `order_by` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Id,
    Name,
    Status,
    Group,
    CreatedAt,
    /// `created_at` + `duration`: only ended runs have one.
    EndTime,
    Duration,
    Description,
}

impl Attribute {
    /// Sextant's names and luml's (`group_id`).
    pub fn from_name(name: &str) -> Option<Attribute> {
        Some(match name {
            "id" | "run_id" => Attribute::Id,
            "name" | "run_name" => Attribute::Name,
            "status" => Attribute::Status,
            "group" | "group_id" => Attribute::Group,
            "created_at" | "start_time" => Attribute::CreatedAt,
            "end_time" => Attribute::EndTime,
            "duration" => Attribute::Duration,
            "description" => Attribute::Description,
            _ => return None,
        })
    }

    /// Compared as numbers rather than strings.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Attribute::CreatedAt | Attribute::EndTime | Attribute::Duration
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    ILike,
    In,
    NotIn,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
        }
    }

    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    /// A number, with its text as written (params compare as text when not both numeric).
    Num(f64, String),
    /// The `( ... )` of `IN` / `NOT IN`.
    List(Vec<Value>),
}

/// One `order_by` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub key: Key,
    pub descending: bool,
}
