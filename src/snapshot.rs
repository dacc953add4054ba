//! The snapshot family's requests: the official checks (same messages, same order), then
//! the mapping of JS fields to proto fields (SPEC §5).
//!
//! Where the official client reports a field missing (argument absent, falsy value) the
//! message is its own; where it would send something other than what the caller wrote
//! (a number for a name, `'abc'` for an id) we reject naming the field instead.

use crate::int64::{parse_int64, parse_uint64};
use crate::proto::common::{MsgBase, MsgType, ReplicateInfo};
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
    /// The property `key` when it is an object that is not an array (`get` says
    /// `Value::Other("object")`), to read its own properties.
    fn object(&self, key: &str) -> Option<Box<dyn Args + '_>>;
    /// Own enumerable string-keyed properties, as `Object.keys` lists them.
    fn entries(&self) -> Vec<(String, Value)>;
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

/// A sub-message field (`base`, `base.replicateInfo`): absent or null sends none; an object
/// (not an array, whose fields protobufjs would not find) is read; anything else is refused
/// (protobufjs throws "object expected" for it).
fn sub_message<'a>(
    data: &'a dyn Args,
    key: &str,
    path: &str,
    what: &str,
) -> Result<Option<Box<dyn Args + 'a>>, String> {
    match data.get(key) {
        Value::Undefined | Value::Null => Ok(None),
        Value::Other("object") => Ok(data.object(key)),
        other => Err(format!(
            "The `{path}` property must be an object ({what}) when given; got {}.",
            other.describe()
        )),
    }
}

/// `base` (common.MsgBase, field 1 of every snapshot request), as protobufjs `fromObject`
/// makes it from the caller's object, except where it would send something else than written:
/// an unknown `msg_type` name (dropped), a non-integer or a negative uint64 (truncated, wrapped),
/// a non-string property value (`String(v)`) are refused naming `base.<field>`.
fn msg_base(data: &dyn Args) -> Result<Option<MsgBase>, String> {
    let Some(base) = sub_message(data, "base", "base", "common.MsgBase")? else {
        return Ok(None);
    };
    let base = base.as_ref();
    let int64 = |key: &str| match base.get(key) {
        Value::Undefined | Value::Null => Ok(0),
        v => parse_int64(&format!("base.{key}"), &v),
    };
    let uint64 = |args: &dyn Args, path: &str, key: &str| match args.get(key) {
        Value::Undefined | Value::Null => Ok(0),
        v => parse_uint64(&format!("{path}.{key}"), &v),
    };
    let msg_type = match base.get("msg_type") {
        Value::Undefined | Value::Null => 0,
        Value::Str(name) if MsgType::from_str_name(&name).is_some() => {
            MsgType::from_str_name(&name).map_or(0, |t| t as i32)
        }
        Value::Number(n) if n.fract() == 0.0 && n >= i32::MIN as f64 && n <= i32::MAX as f64 => {
            n as i32
        }
        other => {
            return Err(format!(
            "The `base.msg_type` property must be a MsgType name (such as \"CreateCollection\") \
                 or an int32 number; got {}.",
            other.describe()
        ))
        }
    };
    let mut properties = std::collections::BTreeMap::new();
    match base.get("properties") {
        // protobufjs reads `if (d.properties)`: a falsy value sends no entries.
        v if !v.truthy() => {}
        Value::Other("object") => {
            if let Some(map) = base.object("properties") {
                for (key, value) in map.entries() {
                    match value {
                        Value::Str(s) => {
                            properties.insert(key, s);
                        }
                        other => {
                            return Err(format!(
                                "The `base.properties` values must be strings; got {} for the key \
                                 {key:?}.",
                                other.describe()
                            ))
                        }
                    }
                }
            }
        }
        other => {
            return Err(format!(
                "The `base.properties` property must be an object of strings (map<string, string>) \
                 when given; got {}.",
                other.describe()
            ))
        }
    }
    let replicate_info = match sub_message(
        base,
        "replicateInfo",
        "base.replicateInfo",
        "common.ReplicateInfo",
    )? {
        None => None,
        Some(info) => {
            let info = info.as_ref();
            let is_replicate = match info.get("isReplicate") {
                Value::Undefined | Value::Null => false,
                Value::Bool(b) => b,
                other => {
                    return Err(format!(
                        "The `base.replicateInfo.isReplicate` property must be a boolean when \
                         given; got {}.",
                        other.describe()
                    ))
                }
            };
            Some(ReplicateInfo {
                is_replicate,
                msg_timestamp: uint64(info, "base.replicateInfo", "msgTimestamp")?,
                replicate_id: optional(info, "replicateID").map_err(|_| {
                    format!(
                        "The `base.replicateInfo.replicateID` property must be a string when \
                         given; got {}.",
                        info.get("replicateID").describe()
                    )
                })?,
            })
        }
    };
    Ok(Some(MsgBase {
        msg_type,
        msg_id: int64("msgID")?,
        timestamp: uint64(base, "base", "timestamp")?,
        source_id: int64("sourceID")?,
        target_id: int64("targetID")?,
        properties,
        replicate_info,
    }))
}

pub fn get_restore_snapshot_state(
    data: Option<&dyn Args>,
) -> Result<GetRestoreSnapshotStateRequest, String> {
    let job_id = required_int64(data, "job_id")?;
    Ok(GetRestoreSnapshotStateRequest {
        base: data.map(msg_base).transpose()?.flatten(),
        job_id,
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
        base: msg_base(data)?,
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
        base: msg_base(data)?,
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
    })
}

pub fn describe_snapshot(data: Option<&dyn Args>) -> Result<DescribeSnapshotRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(DescribeSnapshotRequest {
        base: msg_base(data)?,
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
    })
}

pub fn list_snapshots(data: Option<&dyn Args>) -> Result<ListSnapshotsRequest, String> {
    let (data, [collection_name]) = required(data, ["collection_name"])?;
    Ok(ListSnapshotsRequest {
        base: msg_base(data)?,
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
        base: msg_base(data)?,
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
        base: msg_base(data)?,
        db_name: optional(data, "db_name")?,
        collection_name: optional(data, "collection_name")?,
    })
}

pub fn pin_snapshot_data(data: Option<&dyn Args>) -> Result<PinSnapshotDataRequest, String> {
    let (data, collection_name, name) = collection_and_snapshot(data)?;
    Ok(PinSnapshotDataRequest {
        base: msg_base(data)?,
        name,
        db_name: optional(data, "db_name")?,
        collection_name,
        ttl_seconds: optional_int64(data, "ttl_seconds")?,
    })
}

pub fn unpin_snapshot_data(data: Option<&dyn Args>) -> Result<UnpinSnapshotDataRequest, String> {
    let pin_id = required_int64(data, "pin_id")?;
    Ok(UnpinSnapshotDataRequest {
        base: data.map(msg_base).transpose()?.flatten(),
        pin_id,
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
        fn object(&self, _key: &str) -> Option<Box<dyn Args + '_>> {
            None
        }
        fn entries(&self) -> Vec<(String, Value)> {
            Vec::new()
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

    /// A request with nested objects, for `base`.
    #[derive(Clone)]
    enum T {
        V(Value),
        O(Vec<(&'static str, T)>),
    }
    struct Tree(Vec<(&'static str, T)>);
    impl Args for Tree {
        fn get(&self, key: &str) -> Value {
            match self.0.iter().find(|(k, _)| *k == key) {
                Some((_, T::V(v))) => v.clone(),
                Some((_, T::O(_))) => Value::Other("object"),
                None => Value::Undefined,
            }
        }
        fn object(&self, key: &str) -> Option<Box<dyn Args + '_>> {
            match self.0.iter().find(|(k, _)| *k == key) {
                Some((_, T::O(fields))) => Some(Box::new(Tree(fields.clone()))),
                _ => None,
            }
        }
        fn entries(&self) -> Vec<(String, Value)> {
            self.0
                .iter()
                .map(|(k, _)| (k.to_string(), self.get(k)))
                .collect()
        }
    }
    fn unpin_with(base: T) -> Result<UnpinSnapshotDataRequest, String> {
        unpin_snapshot_data(Some(&Tree(vec![("pin_id", T::V(s("1"))), ("base", base)])))
    }

    #[test]
    fn base_is_sent_as_protobufjs_makes_it() {
        let r = unpin_with(T::O(vec![
            ("msg_type", T::V(s("CreateCollection"))),
            ("msgID", T::V(s("-9223372036854775808"))),
            ("timestamp", T::V(s("18446744073709551615"))),
            ("sourceID", T::V(Value::Number(7.0))),
            ("targetID", T::V(Value::Null)),
            ("unknown", T::V(Value::Bool(true))),
            (
                "properties",
                T::O(vec![("b", T::V(s("1"))), ("a", T::V(s("")))]),
            ),
            (
                "replicateInfo",
                T::O(vec![
                    ("isReplicate", T::V(Value::Bool(true))),
                    ("msgTimestamp", T::V(Value::Number(5.0))),
                    ("replicateID", T::V(s("r"))),
                ]),
            ),
        ]))
        .unwrap();
        let base = r.base.unwrap();
        assert_eq!(base.msg_type, MsgType::CreateCollection as i32);
        assert_eq!(base.msg_type, 100);
        assert_eq!((base.msg_id, base.timestamp), (i64::MIN, u64::MAX));
        assert_eq!((base.source_id, base.target_id), (7, 0));
        assert_eq!(
            base.properties.into_iter().collect::<Vec<_>>(),
            [("a".into(), "".into()), ("b".into(), "1".into())]
        );
        let info = base.replicate_info.unwrap();
        assert!(info.is_replicate);
        assert_eq!((info.msg_timestamp, info.replicate_id.as_str()), (5, "r"));
        // An empty object is an empty MsgBase on the wire (field 1, length 0); null sends none.
        assert_eq!(
            unpin_with(T::O(vec![])).unwrap().base,
            Some(MsgBase::default())
        );
        assert_eq!(unpin_with(T::V(Value::Null)).unwrap().base, None);
        assert_eq!(
            unpin_with(T::O(vec![("msg_type", T::V(Value::Number(-1.0)))]))
                .unwrap()
                .base
                .unwrap()
                .msg_type,
            -1
        );
        // A falsy `properties` sends no entries, as `if (d.properties)` reads it.
        let r = unpin_with(T::O(vec![("properties", T::V(Value::Bool(false)))])).unwrap();
        assert!(r.base.unwrap().properties.is_empty());
    }

    #[test]
    fn base_values_protobufjs_would_change_are_named() {
        let cases = [
            (T::V(s("x")), "`base`"),
            (T::V(Value::Other("array")), "`base`"),
            (T::V(Value::Bool(false)), "`base`"),
            (T::O(vec![("msg_type", T::V(s("Nope")))]), "`base.msg_type`"),
            (T::O(vec![("msg_type", T::V(s("100")))]), "`base.msg_type`"),
            (
                T::O(vec![("msg_type", T::V(Value::Number(1.5)))]),
                "`base.msg_type`",
            ),
            (
                T::O(vec![("msg_type", T::V(Value::Number(4294967297.0)))]),
                "`base.msg_type`",
            ),
            (
                T::O(vec![("msg_type", T::V(Value::Bool(true)))]),
                "`base.msg_type`",
            ),
            (T::O(vec![("msgID", T::V(s("abc")))]), "`base.msgID`"),
            (
                T::O(vec![("sourceID", T::V(Value::Number(1.5)))]),
                "`base.sourceID`",
            ),
            (
                T::O(vec![("targetID", T::V(Value::Other("object")))]),
                "`base.targetID`",
            ),
            (
                T::O(vec![("timestamp", T::V(Value::Number(-1.0)))]),
                "`base.timestamp`",
            ),
            (
                T::O(vec![("properties", T::V(s("x")))]),
                "`base.properties`",
            ),
            (
                T::O(vec![(
                    "properties",
                    T::O(vec![("k", T::V(Value::Number(2.0)))]),
                )]),
                "`base.properties`",
            ),
            (
                T::O(vec![("replicateInfo", T::V(Value::Number(5.0)))]),
                "`base.replicateInfo`",
            ),
            (
                T::O(vec![(
                    "replicateInfo",
                    T::O(vec![("isReplicate", T::V(s("yes")))]),
                )]),
                "`base.replicateInfo.isReplicate`",
            ),
            (
                T::O(vec![(
                    "replicateInfo",
                    T::O(vec![("msgTimestamp", T::V(s("-1")))]),
                )]),
                "`base.replicateInfo.msgTimestamp`",
            ),
            (
                T::O(vec![(
                    "replicateInfo",
                    T::O(vec![("replicateID", T::V(Value::Number(4.0)))]),
                )]),
                "`base.replicateInfo.replicateID`",
            ),
        ];
        for (base, field) in cases {
            let e = unpin_with(base).unwrap_err();
            assert!(e.starts_with(&format!("The {field} ")), "{field}: {e}");
        }
        // The official missing-field check comes first.
        let e = unpin_snapshot_data(Some(&Tree(vec![("base", T::V(s("x")))]))).unwrap_err();
        assert_eq!(e, "The `pin_id` property is missing.");
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
