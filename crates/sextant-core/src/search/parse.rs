//! The winnow grammar for filters and `order_by`. Every failure carries the column it
//! happened at, counted in characters from 1.

use winnow::ascii::{multispace0, multispace1, Caseless};
use winnow::combinator::{
    alt, cut_err, delimited, eof, fail, not, opt, preceded, repeat, separated,
};
use winnow::error::{ContextError, ErrMode, ParseError, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location, Stream};
use winnow::token::{literal, take_till, take_while};

use super::ast::{Attribute, Comparison, Expr, Key, KeySpace, Op, OrderKey, Value};
use crate::model::Status;

type Input<'a> = LocatingSlice<&'a str>;
type PResult<O> = ModalResult<O, ContextError>;

/// Parses a whole filter; `what` names it in the error (`filter` or `order_by`).
pub fn filter(text: &str) -> crate::Result<Expr> {
    delimited(multispace0, or_expr, (multispace0, end))
        .parse(LocatingSlice::new(text))
        .map_err(|e| to_error("filter", text, &e))
}

pub fn order_by(text: &str) -> crate::Result<Vec<OrderKey>> {
    let end = eof.void().context(label("ASC, DESC, `,` or the end"));
    delimited(multispace0, order_keys, (multispace0, end))
        .parse(LocatingSlice::new(text))
        .map_err(|e| to_error("order_by", text, &e))
}

fn order_keys(input: &mut Input<'_>) -> PResult<Vec<OrderKey>> {
    let mut keys = vec![order_key(input)?];
    let more: Vec<OrderKey> = repeat(
        0..,
        preceded(
            (multispace0, ',', multispace0),
            cut_err(order_key.context(label("a key to sort by"))),
        ),
    )
    .parse_next(input)?;
    keys.extend(more);
    Ok(keys)
}

fn order_key(input: &mut Input<'_>) -> PResult<OrderKey> {
    (key, opt(preceded(multispace1, direction)))
        .map(|(key, d)| OrderKey {
            key,
            descending: d.unwrap_or(false),
        })
        .parse_next(input)
}

/// "expected X at column N", X being the innermost thing the grammar was looking for.
fn to_error(
    what: &'static str,
    text: &str,
    e: &ParseError<Input<'_>, ContextError>,
) -> crate::Error {
    let column = text
        .get(..e.offset())
        .map_or(e.offset(), |s| s.chars().count())
        + 1;
    let label = e
        .inner()
        .context()
        .find_map(|c| match c {
            StrContext::Expected(StrContextValue::Description(d)) => Some(d.to_string()),
            StrContext::Expected(other) => Some(other.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "something else".into());
    crate::Error::invalid(what, text, format!("expected {label} at column {column}"))
}

fn expected<O>(input: &mut Input<'_>, what: &'static str) -> PResult<O> {
    cut_err(fail.context(StrContext::Expected(StrContextValue::Description(what))))
        .parse_next(input)
}

fn label(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn end(input: &mut Input<'_>) -> PResult<()> {
    eof.void()
        .context(label("`and`, `or` or the end"))
        .parse_next(input)
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A case-insensitive keyword not followed by more of a word.
fn kw<'a>(word: &'static str) -> impl Parser<Input<'a>, (), ErrMode<ContextError>> {
    (literal(Caseless(word)), not(take_while(1, word_char))).void()
}

fn or_expr(input: &mut Input<'_>) -> PResult<Expr> {
    let first = and_expr(input)?;
    repeat(
        0..,
        preceded((multispace0, kw("or"), multispace0), cut_err(and_expr)),
    )
    .fold(
        move || first.clone(),
        |acc, next| Expr::Or(Box::new(acc), Box::new(next)),
    )
    .parse_next(input)
}

fn and_expr(input: &mut Input<'_>) -> PResult<Expr> {
    let first = atom(input)?;
    repeat(
        0..,
        preceded((multispace0, kw("and"), multispace0), cut_err(atom)),
    )
    .fold(
        move || first.clone(),
        |acc, next| Expr::And(Box::new(acc), Box::new(next)),
    )
    .parse_next(input)
}

/// A parenthesised filter or one comparison; failing here is "expected a comparison".
fn atom(input: &mut Input<'_>) -> PResult<Expr> {
    let start = input.checkpoint();
    let paren = delimited(
        ('(', multispace0),
        cut_err(or_expr),
        (multispace0, cut_err(')'.context(label("`)`")))),
    );
    match alt((paren, comparison.map(Expr::Cmp))).parse_next(input) {
        Err(ErrMode::Backtrack(_)) => {
            input.reset(&start);
            expected(input, "a comparison")
        }
        other => other,
    }
}

fn comparison(input: &mut Input<'_>) -> PResult<Comparison> {
    let offset = input.current_token_start();
    let key = key(input)?;
    multispace0(input)?;
    let op_at = input.checkpoint();
    let op = cut_err(op.context(label(
        "an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)",
    )))
    .parse_next(input)?;
    check_op(input, &op_at, &key, op)?;
    multispace0(input)?;
    let value_at = input.checkpoint();
    let value = if matches!(op, Op::In | Op::NotIn) {
        cut_err(list.context(label("a list of values in parentheses"))).parse_next(input)?
    } else {
        cut_err(scalar.context(label("a quoted string or a number"))).parse_next(input)?
    };
    let after = input.checkpoint();
    input.reset(&value_at);
    let value = check_value(input, &key, op, value)?;
    input.reset(&after);
    Ok(Comparison {
        key,
        op,
        value,
        offset,
    })
}

fn op(input: &mut Input<'_>) -> PResult<Op> {
    alt((
        alt(("<=".value(Op::Le), ">=".value(Op::Ge), "!=".value(Op::Ne))),
        alt(("<>".value(Op::Ne), "==".value(Op::Eq), "=".value(Op::Eq))),
        alt(("<".value(Op::Lt), ">".value(Op::Gt))),
        kw("ilike").value(Op::ILike),
        kw("like").value(Op::Like),
        (kw("not"), multispace1, kw("in")).value(Op::NotIn),
        kw("in").value(Op::In),
    ))
    .parse_next(input)
}

fn check_op<'a>(
    input: &mut Input<'a>,
    at: &<Input<'a> as Stream>::Checkpoint,
    key: &Key,
    op: Op,
) -> PResult<()> {
    let numeric = match key {
        Key::Metric(_) => true,
        Key::Attr(a) => a.is_numeric(),
        _ => false,
    };
    if numeric && matches!(op, Op::Like | Op::ILike) {
        input.reset(at);
        return expected(
            input,
            "a number comparison (=, !=, <, <=, >, >=, IN, NOT IN)",
        );
    }
    if matches!(key, Key::Tags | Key::Tag(_)) && op.is_ordering() {
        input.reset(at);
        return expected(input, "=, !=, LIKE, ILIKE, IN or NOT IN for tags");
    }
    Ok(())
}

/// Rejects literals the key cannot hold; turns created_at dates into Unix milliseconds.
fn check_value(input: &mut Input<'_>, key: &Key, op: Op, value: Value) -> PResult<Value> {
    let each = |v: Value, input: &mut Input<'_>| -> PResult<Value> {
        match (key, &v) {
            (Key::Metric(_), Value::Str(_)) | (Key::Attr(Attribute::Duration), Value::Str(_)) => {
                expected(input, "a number (metrics and duration compare as numbers)")
            }
            (Key::Attr(Attribute::CreatedAt | Attribute::EndTime), Value::Str(s)) => {
                match super::date::parse_ms(s) {
                    Some(ms) => Ok(Value::Num(ms as f64, s.clone())),
                    None => expected(
                        input,
                        "a date like '2026-01-31' or '2026-01-31T12:00:00Z', or Unix milliseconds",
                    ),
                }
            }
            (Key::Attr(Attribute::Status), Value::Str(s))
                if !matches!(op, Op::Like | Op::ILike) && s.parse::<Status>().is_err() =>
            {
                expected(
                    input,
                    "a status: running, completed, failed (or active, error)",
                )
            }
            (_, Value::Num(..)) if matches!(op, Op::Like | Op::ILike) => {
                expected(input, "a quoted pattern")
            }
            _ => Ok(v),
        }
    };
    match value {
        Value::List(items) => Ok(Value::List(
            items
                .into_iter()
                .map(|v| each(v, input))
                .collect::<PResult<_>>()?,
        )),
        v => each(v, input),
    }
}

fn list(input: &mut Input<'_>) -> PResult<Value> {
    delimited(
        ('(', multispace0),
        separated(1.., scalar, (multispace0, ',', multispace0)),
        (multispace0, ')'),
    )
    .map(Value::List)
    .parse_next(input)
}

fn scalar(input: &mut Input<'_>) -> PResult<Value> {
    alt((
        quoted('\'').map(Value::Str),
        quoted('"').map(Value::Str),
        number,
    ))
    .parse_next(input)
}

/// A string in `q` quotes; a backslash or a doubled quote escapes the quote.
fn quoted<'a>(q: char) -> impl Parser<Input<'a>, String, ErrMode<ContextError>> {
    move |input: &mut Input<'a>| {
        let mut open = q;
        open.parse_next(input)?;
        let mut out = String::new();
        loop {
            let chunk: &str = take_till(0.., [q, '\\']).parse_next(input)?;
            out.push_str(chunk);
            match input.next_token() {
                Some('\\') => match input.next_token() {
                    Some(c) => out.push(c),
                    None => return expected(input, "a closing quote"),
                },
                Some(_) if input.starts_with(q) => {
                    input.next_token();
                    out.push(q);
                }
                Some(_) => return Ok(out),
                None => return expected(input, "a closing quote"),
            }
        }
    }
}

fn number(input: &mut Input<'_>) -> PResult<Value> {
    let text: &str = (
        opt(alt(('-', '+'))),
        take_while(1.., |c: char| c.is_ascii_digit() || c == '.'),
        opt((
            alt(('e', 'E')),
            opt(alt(('-', '+'))),
            take_while(1.., |c: char| c.is_ascii_digit()),
        )),
    )
        .take()
        .parse_next(input)?;
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Value::Num(n, text.to_string())),
        _ => expected(input, "a number"),
    }
}

fn direction(input: &mut Input<'_>) -> PResult<bool> {
    alt((kw("asc").value(false), kw("desc").value(true)))
        .context(label("ASC, DESC or `,`"))
        .parse_next(input)
}

/// `prefix.name`, `prefix.`quoted name``, or a bare attribute / `tags`.
fn key(input: &mut Input<'_>) -> PResult<Key> {
    let start = input.checkpoint();
    let prefix: &str = take_while(1.., word_char).parse_next(input)?;
    let prefix = prefix.to_lowercase();
    let name = opt(preceded(
        '.',
        cut_err(key_name.context(label("a key name"))),
    ))
    .parse_next(input)?;
    let resolved = match name {
        None => match prefix.as_str() {
            "tags" | "tag" => Some(Key::Tags),
            p => Attribute::from_name(p).map(Key::Attr),
        },
        Some(name) => match KeySpace::from_prefix(&prefix) {
            Some(KeySpace::Metric) => Some(Key::Metric(name)),
            Some(KeySpace::Param) => Some(Key::Param(name)),
            Some(KeySpace::Attribute) => match Attribute::from_name(&name) {
                Some(a) => Some(Key::Attr(a)),
                None => {
                    input.reset(&start);
                    return expected(
                        input,
                        "an attribute: id, name, status, group, created_at, end_time, duration or description",
                    );
                }
            },
            Some(KeySpace::Tag) => Some(Key::Tag(name)),
            None => None,
        },
    };
    match resolved {
        Some(k) => Ok(k),
        None => {
            input.reset(&start);
            expected(
                input,
                "a key like metrics.NAME, params.NAME, tags, tags.KEY or attributes.NAME",
            )
        }
    }
}

fn key_name(input: &mut Input<'_>) -> PResult<String> {
    let backquoted = delimited(
        '`',
        take_till(1.., '`'),
        cut_err('`'.context(label("a closing backquote"))),
    );
    alt((
        backquoted.map(str::to_string),
        quoted('"'),
        take_while(1.., |c: char| word_char(c) || c == '.' || c == '-').map(str::to_string),
    ))
    .parse_next(input)
}
