//! The typed tree a filter parses into; stores evaluate it in memory or translate it.

/// Static values whose key starts with this hold key/value tags (`tags#team` = `"nlp"`):
/// `#` is outside MLflow's key alphabet, so no MLflow param can collide with one. A JSON
/// `null` there is a deleted tag (static values cannot be removed).
pub const KV_TAG_PREFIX: &str = "tags#";

/// A whole filter: comparisons joined by `and` / `or`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides match (`and` binds tighter than `or`).
    And(Box<Expr>, Box<Expr>),
    /// Either side matches.
    Or(Box<Expr>, Box<Expr>),
    /// One comparison.
    Cmp(Comparison),
}

/// `KEY OP VALUE`, with where it starts in the filter (for errors found after parsing).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The left-hand side.
    pub key: Key,
    /// The operator.
    pub op: Op,
    /// The literal on the right.
    pub value: Value,
    /// Byte offset of the key in the filter text.
    pub offset: usize,
}

/// What a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A metric's latest value.
    Metric(String),
    /// A static param, compared as a number when both sides are numeric, else as text.
    Param(String),
    /// The run's tag list: `tags = 'x'` means the run has tag `x`.
    Tags,
    /// A key/value tag (`tags.KEY`): the static value under [`KV_TAG_PREFIX`]`KEY`, the
    /// convention the MLflow API keeps its tags in.
    Tag(String),
    /// A field of the run itself.
    Attr(Attribute),
}

/// The run fields a filter or `order_by` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// The experiment id (`id`, `run_id`).
    Id,
    /// The display name (`name`, `run_name`).
    Name,
    /// `running`, `completed` or `failed` (luml's spellings too).
    Status,
    /// The group's name, not its uuid (`group`, `group_id`).
    Group,
    /// Unix milliseconds (`created_at`, `start_time`).
    CreatedAt,
    /// `created_at` + `duration`: only ended runs have one.
    EndTime,
    /// Seconds; missing while the run has not ended.
    Duration,
    /// Missing when never set.
    Description,
}

impl Attribute {
    /// The canonical names, in the order help texts list them.
    pub const NAMES: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "group",
        "created_at",
        "end_time",
        "duration",
        "description",
    ];

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

/// A comparison operator. A missing value never matches, whichever the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE`: SQL wildcards `%` and `_`, case-sensitive.
    Like,
    /// `ILIKE`: as `LIKE`, ignoring case.
    ILike,
    /// `IN (...)`: equal to one of the list.
    In,
    /// `NOT IN (...)`: equal to none of the list.
    NotIn,
}

impl Op {
    /// The operator as written in a filter.
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

    /// `<`, `<=`, `>` or `>=`: needs an order, so not allowed on `tags`.
    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string (`'adam'`).
    Str(String),
    /// A number, with its text as written (params compare as text when not both numeric).
    Num(f64, String),
    /// The `( ... )` of `IN` / `NOT IN`.
    List(Vec<Value>),
}

/// One `order_by` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// What to sort by; never [`Key::Tags`].
    pub key: Key,
    /// `DESC`; ascending (`ASC`, the default) otherwise.
    pub descending: bool,
}

/// What a prefix before `.` names (`metrics.acc`, `params.lr`, `attributes.status`,
/// `tags.KEY`), with the spellings luml-sdk and MLflow accept: the parser and the
/// dashboard's search box read prefixes the same way through this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpace {
    /// `metrics`, `metric`, `dynamic_params`.
    Metric,
    /// `params`, `param`, `parameter`, `parameters`, `static_params`.
    Param,
    /// `attributes`, `attribute`, `attr`, `run`.
    Attribute,
    /// `tags`, `tag`: a key/value tag.
    Tag,
}

impl KeySpace {
    /// The key space a prefix names, case-insensitively; `None` for anything else.
    pub fn from_prefix(prefix: &str) -> Option<KeySpace> {
        Some(match prefix.to_lowercase().as_str() {
            "metrics" | "metric" | "dynamic_params" => KeySpace::Metric,
            "params" | "param" | "parameter" | "parameters" | "static_params" => KeySpace::Param,
            "attributes" | "attribute" | "attr" | "run" => KeySpace::Attribute,
            "tags" | "tag" => KeySpace::Tag,
            _ => return None,
        })
    }
}
