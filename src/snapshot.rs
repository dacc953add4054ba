//! The snapshot family's requests: the official checks (same messages, same order), then
//! the mapping of JS fields to proto fields (SPEC §5).
//!
//! Where the official client reports a field missing (argument absent, falsy value) the
//! message is its own; where it would send something other than what the caller wrote
//! (a number for a name, `'abc'` for an id) we reject naming the field instead.

use crate::int64::parse_int64;
use crate::proto::milvus::{
    CreateSnapshotRequest, DescribeSnapshotRequest, DropSnapshotRequest,
    GetRestoreSnapshotStateRequest, ListRestoreSnapshotJobsRequest, ListSnapshotsRequest,
    PinSnapshotDataRequest, RestoreSnapshotRequest, UnpinSnapshotDataRequest,
};

/// A property of the caller's argument, as far as validation cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    BigInt {
        value: i128,
        lossless: bool,
    },
    /// object, array, function, symbol: the `typeof`-like name.
    Other(&'static str),
}

impl Value {
    /// JavaScript truthiness, which the official `!data.x` checks use.
    fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::BigInt { value, .. } => *value != 0,
            Value::Other(_) => true,
        }
    }

    /// The value as a JavaScript programmer would write it, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Number(n) if n.is_nan() => "NaN".into(),
            Value::Number(n) if n.is_infinite() => {
                if *n > 0.0 { "Infinity" } else { "-Infinity" }.into()
            }
            Value::Number(n) => format!("the number {n}"),
            Value::Str(s) if s.chars().count() > 40 => {
                let head: String = s.chars().take(40).collect();
                format!("the string {head:?}... ({} characters)", s.chars().count())
            }
            Value::Str(s) => format!("the string {s:?}"),
            Value::BigInt {
                value,
                lossless: true,
            } => format!("the bigint {value}n"),
            Value::BigInt { .. } => "a bigint beyond 128 bits".into(),
            Value::Other(kind) => format!("a value of type {kind}"),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::BigInt { .. } => "bigint",
            Value::Other(kind) => kind,
        }
    }
}

/// The caller's request object.
pub trait Args {
    fn get(&self, key: &str) -> Value;
}

fn missing(field: &str) -> String {
    format!("The `{field}` property is missing.")
}

/// Required names, checked as the official `!data.field` in the official order; every one of
/// them first, as the official checks all before it coerces any (so its "missing" message
/// wins over our type errors).
fn required<'a, const N: usize>(
    data: Option<&'a dyn Args>,
    fields: [&str; N],
) -> Result<(&'a dyn Args, [String; N]), String> {
    let values = fields.map(|f| data.map_or(Value::Undefined, |d| d.get(f)));
    if let Some(i) = values.iter().position(|v| !v.truthy()) {
        return Err(missing(fields[i]));
    }
    let data = data.expect("a truthy property was read from it");
    let mut out = fields.map(|_| String::new());
    for (i, value) in values.into_iter().enumerate() {
        match value {
            Value::Str(s) => out[i] = s,
            other => {
                return Err(format!(
                    "The `{}` property must be a string; got a value of type {}.",
                    fields[i],
                    other.type_name()
                ))
            }
        }
    }
    Ok((data, out))
}

/// An optional string: absent or null sends the proto default.
fn optional(data: &dyn Args, field: &str) -> Result<String, String> {
    match data.get(field) {
        Value::Undefined | Value::Null => Ok(String::new()),
        Value::Str(s) => Ok(s),
        other => Err(format!(
            "The `{field}` property must be a string when given; got a value of type {}.",
            other.type_name()
        )),
    }
}

/// A required int64, checked as the official `typeof data.field === 'undefined'`.
fn required_int64(data: Option<&dyn Args>, field: &str) -> Result<i64, String> {
    let value = data.map_or(Value::Undefined, |d| d.get(field));
    if value == Value::Undefined {
        return Err(missing(field));
    }
    parse_int64(field, &value)
}

fn optional_int64(data: &dyn Args, field: &str) -> Result<i64, String> {
    match data.get(field) {
        Value::Undefined | Value::Null => Ok(0),
        value => parse_int64(field, &value),
    }
}

/// A call's own `timeout`, read as the official `data.timeout || client.timeout`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CallTimeout {
    /// Falsy (`undefined`, `null`, `false`, `0`, `NaN`, `''`, `0n`): the client's timeout.
    Default,
    /// A positive number of milliseconds.
    Millis(f64),
    /// A negative number: the deadline has passed before the call starts, so it fails with
    /// DEADLINE_EXCEEDED, as the official deadline `Date.now() + timeout` does.
    Past,
}

/// Where the official SDK would crash (`Infinity`, a string, an object: grpc-js throws
/// "Deadline is too far in the future" outside any promise) or silently use another deadline
/// (`true` adds 1 ms), reject naming the field.
pub fn call_timeout(value: &Value) -> Result<CallTimeout, String> {
    if !value.truthy() {
        return Ok(CallTimeout::Default);
    }
    match value {
        Value::Number(ms) if *ms < 0.0 && ms.is_finite() => Ok(CallTimeout::Past),
        Value::Number(ms) if *ms > 0.0 && *ms <= MAX_CALL_TIMEOUT_MS => {
            Ok(CallTimeout::Millis(*ms))
        }
        other => Err(format!(
            "The `timeout` property must be a number of milliseconds (at most 100 years); got {}.",
            other.describe()
        )),
    }
}

/// 100 years, the longest deadline the transport sends.
const MAX_CALL_TIMEOUT_MS: f64 = 100.0 * 365.0 * 86_400_000.0;

/// `rewrite_data` (RestoreSnapshotRequest): a boolean; absent or null sends `false`.
fn optional_bool(data: &dyn Args, field: &str) -> Result<bool, String> {
    match data.get(field) {
        Value::Undefined | Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        other => Err(format!(
            "The `{field}` property must be a boolean when given; got {}.",
            other.describe()
        )),
    }
}

pub fn get_restore_snapshot_state(
    data: Option<&dyn Args>,
) -> Result<GetRestoreSnapshotStateRequest, String> {
    Ok(GetRestoreSnapshotStateRequest {
        job_id: required_int64(data, "job_id")?,
    })
}

/// `collection_name` then `snapshot_name`, the official order, for the methods that
/// name one snapshot of one collection.
fn collection_and_snapshot(data: Option<&dyn Args>) -> Result<(&dyn Args, String, String), String> {
    let (data, [collection, snapshot]) = required(data, ["collection_name", "snapshot_name"])?;
    Ok((data, collection, snapshot))
}

pub fn create_snapshot(data: Option<&dyn Args>) -> Result<CreateSnapshotRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(CreateSnapshotRequest {
        name,
        description: optional(data, "description")?,
        db_name: optional(data, "db_name")?,
        collection_name,
        compaction_protection_seconds: optional_int64(data, "compaction_protection_seconds")?,
    })
}

pub fn drop_snapshot(data: Option<&dyn Args>) -> Result<DropSnapshotRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(DropSnapshotRequest {
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
    })
}

pub fn describe_snapshot(data: Option<&dyn Args>) -> Result<DescribeSnapshotRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(DescribeSnapshotRequest {
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
    })
}

pub fn list_snapshots(data: Option<&dyn Args>) -> Result<ListSnapshotsRequest, String> {
    let (data, [collection_name]) = required(data, ["collection_name"])?;
    Ok(ListSnapshotsRequest {
        db_name: optional(data, "db_name")?,
        collection_name,
    })
}

pub fn restore_snapshot(data: Option<&dyn Args>) -> Result<RestoreSnapshotRequest, String> {
    let (data, [name, collection_name, target_collection_name]) = required(
        data,
        [
            "snapshot_name",
            "source_collection_name",
            "target_collection_name",
        ],
    )?;
    Ok(RestoreSnapshotRequest {
        name,
        db_name: optional(data, "source_db_name")?,
        collection_name,
        rewrite_data: optional_bool(data, "rewrite_data")?,
        target_db_name: optional(data, "target_db_name")?,
        target_collection_name,
    })
}

/// The argument is optional (`listRestoreSnapshotJobs()` lists every job).
pub fn list_restore_snapshot_jobs(
    data: Option<&dyn Args>,
) -> Result<ListRestoreSnapshotJobsRequest, String> {
    let Some(data) = data else {
        return Ok(ListRestoreSnapshotJobsRequest::default());
    };
    Ok(ListRestoreSnapshotJobsRequest {
        db_name: optional(data, "db_name")?,
        collection_name: optional(data, "collection_name")?,
    })
}

pub fn pin_snapshot_data(data: Option<&dyn Args>) -> Result<PinSnapshotDataRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(PinSnapshotDataRequest {
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
        ttl_seconds: optional_int64(data, "ttl_seconds")?,
    })
}

pub fn unpin_snapshot_data(data: Option<&dyn Args>) -> Result<UnpinSnapshotDataRequest, String> {
    Ok(UnpinSnapshotDataRequest {
        pin_id: required_int64(data, "pin_id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Obj(HashMap<&'static str, Value>);
    impl Args for Obj {
        fn get(&self, key: &str) -> Value {
            self.0.get(key).cloned().unwrap_or(Value::Undefined)
        }
    }
    fn obj(pairs: &[(&'static str, Value)]) -> Obj {
        Obj(pairs.iter().cloned().collect())
    }
    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn job_id_checks() {
        let e = get_restore_snapshot_state(None).unwrap_err();
        assert_eq!(e, "The `job_id` property is missing.");
        let e = get_restore_snapshot_state(Some(&obj(&[]))).unwrap_err();
        assert_eq!(e, "The `job_id` property is missing.");
        let r = get_restore_snapshot_state(Some(&obj(&[("job_id", s("4471"))]))).unwrap();
        assert_eq!(r.job_id, 4471);
        for bad in [
            Value::Null,
            s(""),
            s("abc"),
            Value::Number(1.5),
            Value::Other("object"),
        ] {
            let e = get_restore_snapshot_state(Some(&obj(&[("job_id", bad)]))).unwrap_err();
            assert!(
                e.starts_with("The `job_id` property must be an int64"),
                "{e}"
            );
        }
    }

    #[test]
    fn official_order_and_messages() {
        let e = create_snapshot(None).unwrap_err();
        assert_eq!(e, "The `collection_name` property is missing.");
        let e = create_snapshot(Some(&obj(&[("snapshot_name", s("s"))]))).unwrap_err();
        assert_eq!(e, "The `collection_name` property is missing.");
        let e = drop_snapshot(Some(&obj(&[("collection_name", s("c"))]))).unwrap_err();
        assert_eq!(e, "The `snapshot_name` property is missing.");
        let e = restore_snapshot(Some(&obj(&[]))).unwrap_err();
        assert_eq!(e, "The `snapshot_name` property is missing.");
        let e = restore_snapshot(Some(&obj(&[("snapshot_name", s("s"))]))).unwrap_err();
        assert_eq!(e, "The `source_collection_name` property is missing.");
        let e = restore_snapshot(Some(&obj(&[
            ("snapshot_name", s("s")),
            ("source_collection_name", s("c")),
            ("target_collection_name", s("")),
        ])))
        .unwrap_err();
        assert_eq!(e, "The `target_collection_name` property is missing.");
        let e = unpin_snapshot_data(None).unwrap_err();
        assert_eq!(e, "The `pin_id` property is missing.");
        let e = list_snapshots(Some(&obj(&[("collection_name", Value::Null)]))).unwrap_err();
        assert_eq!(e, "The `collection_name` property is missing.");
        // Every missing check comes before any type check, as in the official methods.
        let e =
            drop_snapshot(Some(&obj(&[("collection_name", Value::Other("symbol"))]))).unwrap_err();
        assert_eq!(e, "The `snapshot_name` property is missing.");
    }

    #[test]
    fn mapping() {
        let r = restore_snapshot(Some(&obj(&[
            ("snapshot_name", s("snap")),
            ("source_collection_name", s("books")),
            ("source_db_name", s("db1")),
            ("target_collection_name", s("books2")),
            ("target_db_name", s("db2")),
        ])))
        .unwrap();
        assert_eq!(
            (
                r.name.as_str(),
                r.db_name.as_str(),
                r.collection_name.as_str()
            ),
            ("snap", "db1", "books")
        );
        assert_eq!(
            (r.target_db_name.as_str(), r.target_collection_name.as_str()),
            ("db2", "books2")
        );
        let r = create_snapshot(Some(&obj(&[
            ("collection_name", s("c")),
            ("snapshot_name", s("n")),
            (
                "compaction_protection_seconds",
                Value::BigInt {
                    value: 60,
                    lossless: true,
                },
            ),
        ])))
        .unwrap();
        assert_eq!(
            (r.name.as_str(), r.compaction_protection_seconds),
            ("n", 60)
        );
        let r = pin_snapshot_data(Some(&obj(&[
            ("collection_name", s("c")),
            ("snapshot_name", s("n")),
            ("ttl_seconds", s("3600")),
        ])))
        .unwrap();
        assert_eq!(r.ttl_seconds, 3600);
        let r = list_restore_snapshot_jobs(None).unwrap();
        assert_eq!(r, ListRestoreSnapshotJobsRequest::default());
    }

    #[test]
    fn rewrite_data_is_sent() {
        let base = [
            ("snapshot_name", s("s")),
            ("source_collection_name", s("c")),
            ("target_collection_name", s("t")),
        ];
        let with = |v: Value| {
            let mut pairs = base.to_vec();
            pairs.push(("rewrite_data", v));
            restore_snapshot(Some(&obj(&pairs)))
        };
        assert!(with(Value::Bool(true)).unwrap().rewrite_data);
        assert!(!with(Value::Null).unwrap().rewrite_data);
        assert!(!restore_snapshot(Some(&obj(&base))).unwrap().rewrite_data);
        // The official `Boolean('false')` would send true.
        let e = with(s("false")).unwrap_err();
        assert!(e.contains("`rewrite_data`") && e.contains("boolean"), "{e}");
    }

    #[test]
    fn call_timeouts_as_the_official_reads_them() {
        for falsy in [
            Value::Undefined,
            Value::Null,
            Value::Bool(false),
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Number(f64::NAN),
            s(""),
            Value::BigInt {
                value: 0,
                lossless: true,
            },
        ] {
            assert_eq!(call_timeout(&falsy), Ok(CallTimeout::Default), "{falsy:?}");
        }
        assert_eq!(
            call_timeout(&Value::Number(5000.0)),
            Ok(CallTimeout::Millis(5000.0))
        );
        assert_eq!(call_timeout(&Value::Number(-5.0)), Ok(CallTimeout::Past));
        for bad in [
            Value::Bool(true),
            s("5000"),
            Value::Number(f64::INFINITY),
            Value::Number(f64::NEG_INFINITY),
            Value::Number(1e30),
            Value::Other("object"),
            Value::BigInt {
                value: 5,
                lossless: true,
            },
        ] {
            let e = call_timeout(&bad).unwrap_err();
            assert!(e.starts_with("The `timeout` property"), "{e}");
        }
    }

    #[test]
    fn values_are_described_in_javascript_terms() {
        assert_eq!(Value::Number(0.0).describe(), "the number 0");
        assert_eq!(Value::Number(1.5).describe(), "the number 1.5");
        assert_eq!(Value::Str("abc".into()).describe(), "the string \"abc\"");
        assert_eq!(
            Value::BigInt {
                value: 100,
                lossless: true
            }
            .describe(),
            "the bigint 100n"
        );
        assert_eq!(Value::Number(f64::NAN).describe(), "NaN");
        assert_eq!(Value::Other("array").describe(), "a value of type array");
        assert!(Value::Str("x".repeat(100))
            .describe()
            .contains("(100 characters)"));
    }

    #[test]
    fn wrong_types_are_named() {
        let e = list_snapshots(Some(&obj(&[("collection_name", Value::Number(5.0))]))).unwrap_err();
        assert_eq!(
            e,
            "The `collection_name` property must be a string; got a value of type number."
        );
        let e = list_snapshots(Some(&obj(&[
            ("collection_name", s("c")),
            ("db_name", Value::Other("object")),
        ])))
        .unwrap_err();
        assert!(e.contains("`db_name`"), "{e}");
        let e = pin_snapshot_data(Some(&obj(&[
            ("collection_name", s("c")),
            ("snapshot_name", s("n")),
            ("ttl_seconds", Value::Number(1.5)),
        ])))
        .unwrap_err();
        assert!(e.contains("`ttl_seconds`"), "{e}");
    }
}
