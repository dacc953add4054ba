//! Hostile replies (issue 6, item 8): random bytes, truncated and mutated encodings go through
//! prost's decode and then `milvus_native::decode`. Never a panic; whenever prost accepts the
//! bytes, the text is valid JSON with the official keys in the official order, and a reply
//! that survives the wire intact comes out with exactly its values.
//!
//! serde_json checks validity and values; its map sorts keys, so key order is read from the
//! text by `members` below (enabling serde_json's `preserve_order` would change the
//! simulator's JSON too, as features unify across the workspace).

use std::collections::BTreeMap;

use milvus_native::decode;
use milvus_native::proto::common::{MapEntry, ServerInfo, Status};
use milvus_native::proto::milvus::{
    CheckHealthResponse, ConnectResponse, DescribeSnapshotResponse,
    GetRestoreSnapshotStateResponse, GetVersionResponse, ListRestoreSnapshotJobsResponse,
    ListSnapshotsResponse, PinSnapshotDataResponse, RestoreSnapshotInfo, RestoreSnapshotResponse,
};
use proptest::prelude::*;
use prost::Message;
use serde_json::Value;

const STATUS_KEYS: &[&str] = &[
    "extra_info",
    "error_code",
    "reason",
    "code",
    "retriable",
    "detail",
];
const INFO_KEYS: &[&str] = &[
    "job_id",
    "snapshot_name",
    "db_name",
    "collection_name",
    "state",
    "progress",
    "reason",
    "start_time",
    "time_cost",
];
const SERVER_INFO_KEYS: &[&str] = &[
    "reserved",
    "build_tags",
    "build_time",
    "git_commit",
    "go_version",
    "deploy_mode",
];
const STATES: &[&str] = &[
    "RestoreSnapshotNone",
    "RestoreSnapshotPending",
    "RestoreSnapshotExecuting",
    "RestoreSnapshotCompleted",
    "RestoreSnapshotFailed",
];

// ---- reading the decoder's text -------------------------------------------------------

fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    loop {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
}

fn skip_value(b: &[u8], mut i: usize) -> usize {
    match b[i] {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0;
            loop {
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']') {
                i += 1;
            }
            i
        }
    }
}

/// The members of an object text (valid JSON, no whitespace, as the decoder writes it), in
/// order: (key as written, value text).
fn members(obj: &str) -> Vec<(&str, &str)> {
    let b = obj.as_bytes();
    assert_eq!(b.first(), Some(&b'{'), "not an object: {obj}");
    let mut out = Vec::new();
    let mut i = 1;
    if b[i] == b'}' {
        return out;
    }
    loop {
        let k_end = skip_string(b, i);
        let key = &obj[i + 1..k_end - 1];
        assert_eq!(b[k_end], b':', "no colon after {key} in {obj}");
        let v_end = skip_value(b, k_end + 1);
        out.push((key, &obj[k_end + 1..v_end]));
        match b[v_end] {
            b',' => i = v_end + 1,
            b'}' => {
                assert_eq!(v_end + 1, b.len(), "trailing text in {obj}");
                return out;
            }
            c => panic!("unexpected {:?} in {obj}", c as char),
        }
    }
}

/// Parses with serde_json (validity) and checks the key order; returns key → value text.
fn object<'a>(text: &'a str, keys: &[&str]) -> BTreeMap<&'a str, &'a str> {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(v.is_object(), "{text}");
    let m = members(text);
    let got: Vec<&str> = m.iter().map(|(k, _)| *k).collect();
    assert_eq!(got, keys, "key order of {text}");
    m.into_iter().collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn int64_string(text: &str) -> i128 {
    let v = json(text);
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("int64 not a string: {text}"));
    s.parse::<i128>()
        .unwrap_or_else(|e| panic!("int64 {s:?} not decimal: {e}"))
}

fn check_strings_object(text: &str) {
    let v = json(text);
    let m = v.as_object().unwrap_or_else(|| panic!("not a map: {text}"));
    assert!(m.values().all(Value::is_string), "{text}");
}

fn check_status(text: &str) {
    if text == "null" {
        return;
    }
    let m = object(text, STATUS_KEYS);
    check_strings_object(m["extra_info"]);
    let ec = json(m["error_code"]);
    assert!(ec.is_string() || ec.is_i64(), "error_code {ec}");
    assert!(json(m["code"]).is_i64());
    assert!(json(m["retriable"]).is_boolean());
    assert!(json(m["reason"]).is_string());
    assert!(json(m["detail"]).is_string());
}

fn check_info(text: &str) {
    if text == "null" {
        return;
    }
    let m = object(text, INFO_KEYS);
    let job = int64_string(m["job_id"]);
    assert!(i64::try_from(job).is_ok());
    for k in ["start_time", "time_cost"] {
        assert!(u64::try_from(int64_string(m[k])).is_ok(), "{k}");
    }
    let state = json(m["state"]);
    match state.as_str() {
        Some(s) => assert!(STATES.contains(&s), "state {s}"),
        None => assert!(state.is_i64(), "state {state}"),
    }
    assert!(json(m["progress"]).is_i64());
    for k in ["snapshot_name", "db_name", "collection_name", "reason"] {
        assert!(json(m[k]).is_string(), "{k}");
    }
}

fn check_string_array(text: &str) {
    let v = json(text);
    let a = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {text}"));
    assert!(a.iter().all(Value::is_string), "{text}");
}

// ---- one checker per reply type: decode, then (if prost accepted it) the text ------------

fn get_restore_snapshot_state(bytes: &[u8]) {
    if let Ok(r) = GetRestoreSnapshotStateResponse::decode(bytes) {
        let text = decode::get_restore_snapshot_state(&r);
        let m = object(&text, &["status", "info"]);
        check_status(m["status"]);
        check_info(m["info"]);
    }
}

fn list_restore_snapshot_jobs(bytes: &[u8]) {
    if let Ok(r) = ListRestoreSnapshotJobsResponse::decode(bytes) {
        let text = decode::list_restore_snapshot_jobs(&r);
        let m = object(&text, &["jobs", "status"]);
        let jobs = json(m["jobs"]);
        assert_eq!(jobs.as_array().map(Vec::len), Some(r.jobs.len()));
        // Each job, in order, through the text reader.
        let wrapped = format!("{{\"jobs\":{}}}", m["jobs"]);
        let arr = members(&wrapped)[0].1;
        let b = arr.as_bytes();
        let mut i = 1;
        while b[i] != b']' {
            let end = skip_value(b, i);
            check_info(&arr[i..end]);
            i = if b[end] == b',' { end + 1 } else { end };
        }
        check_status(m["status"]);
    }
}

fn list_snapshots(bytes: &[u8]) {
    if let Ok(r) = ListSnapshotsResponse::decode(bytes) {
        let text = decode::list_snapshots(&r);
        let m = object(&text, &["snapshots", "status"]);
        check_string_array(m["snapshots"]);
        check_status(m["status"]);
    }
}

fn describe_snapshot(bytes: &[u8]) {
    if let Ok(r) = DescribeSnapshotResponse::decode(bytes) {
        let text = decode::describe_snapshot(&r);
        let m = object(
            &text,
            &[
                "partition_names",
                "status",
                "name",
                "description",
                "collection_name",
                "create_ts",
                "s3_location",
            ],
        );
        check_string_array(m["partition_names"]);
        check_status(m["status"]);
        assert_eq!(int64_string(m["create_ts"]), r.create_ts as i128);
    }
}

fn restore_snapshot(bytes: &[u8]) {
    if let Ok(r) = RestoreSnapshotResponse::decode(bytes) {
        let text = decode::restore_snapshot(&r);
        let m = object(&text, &["status", "job_id"]);
        check_status(m["status"]);
        assert_eq!(int64_string(m["job_id"]), r.job_id as i128);
    }
}

fn pin_snapshot_data(bytes: &[u8]) {
    if let Ok(r) = PinSnapshotDataResponse::decode(bytes) {
        let text = decode::pin_snapshot_data(&r);
        let m = object(&text, &["status", "pin_id"]);
        check_status(m["status"]);
        assert_eq!(int64_string(m["pin_id"]), r.pin_id as i128);
    }
}

fn status_reply(bytes: &[u8]) {
    if let Ok(s) = Status::decode(bytes) {
        check_status(&decode::status_reply(&s));
    }
}

fn get_version(bytes: &[u8]) {
    if let Ok(r) = GetVersionResponse::decode(bytes) {
        let text = decode::get_version(&r);
        let m = object(&text, &["status", "version"]);
        check_status(m["status"]);
        assert!(json(m["version"]).is_string());
    }
}

fn check_health(bytes: &[u8]) {
    if let Ok(r) = CheckHealthResponse::decode(bytes) {
        let text = decode::check_health(&r);
        let m = object(&text, &["reasons", "quota_states", "status", "isHealthy"]);
        check_string_array(m["reasons"]);
        let q = json(m["quota_states"]);
        let q = q.as_array().expect("quota_states array");
        assert_eq!(q.len(), r.quota_states.len());
        assert!(q.iter().all(|v| v.is_string() || v.is_i64()));
        check_status(m["status"]);
        assert!(json(m["isHealthy"]).is_boolean());
    }
}

fn connect(bytes: &[u8]) {
    if let Ok(r) = ConnectResponse::decode(bytes) {
        let text = decode::connect(&r);
        let m = object(&text, &["status", "server_info", "identifier"]);
        check_status(m["status"]);
        if m["server_info"] != "null" {
            let s = object(m["server_info"], SERVER_INFO_KEYS);
            check_strings_object(s["reserved"]);
        }
        assert_eq!(int64_string(m["identifier"]), r.identifier as i128);
    }
}

const ALL: &[fn(&[u8])] = &[
    get_restore_snapshot_state,
    list_restore_snapshot_jobs,
    list_snapshots,
    describe_snapshot,
    restore_snapshot,
    pin_snapshot_data,
    status_reply,
    get_version,
    check_health,
    connect,
];

fn every_decoder(bytes: &[u8]) {
    for check in ALL {
        check(bytes);
    }
}

// ---- generators ------------------------------------------------------------------------

/// Any i32 half the time (unknown enum values must stay numbers), else a known value.
fn enum_value(known: std::ops::Range<i32>) -> impl Strategy<Value = i32> {
    prop_oneof![known, any::<i32>()]
}

fn arb_status() -> impl Strategy<Value = Status> {
    (
        enum_value(0..70),
        any::<String>(),
        any::<i32>(),
        any::<bool>(),
        any::<String>(),
        proptest::collection::btree_map(any::<String>(), any::<String>(), 0..4),
    )
        .prop_map(
            |(error_code, reason, code, retriable, detail, extra_info)| Status {
                error_code,
                reason,
                code,
                retriable,
                detail,
                extra_info: extra_info
                    .into_iter()
                    .map(|(k, v)| MapEntry::new(k, v))
                    .collect(),
            },
        )
}

fn arb_info() -> impl Strategy<Value = RestoreSnapshotInfo> {
    (
        any::<i64>(),
        any::<String>(),
        any::<String>(),
        any::<String>(),
        enum_value(0..5),
        any::<i32>(),
        any::<String>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(
                job_id,
                snapshot_name,
                db_name,
                collection_name,
                state,
                progress,
                reason,
                start_time,
                time_cost,
            )| RestoreSnapshotInfo {
                job_id,
                snapshot_name,
                db_name,
                collection_name,
                state,
                progress,
                reason,
                start_time,
                time_cost,
            },
        )
}

fn arb_state_reply() -> impl Strategy<Value = GetRestoreSnapshotStateResponse> {
    (
        proptest::option::of(arb_status()),
        proptest::option::of(arb_info()),
    )
        .prop_map(|(status, info)| GetRestoreSnapshotStateResponse { status, info })
}

/// Valid encodings of every reply type, for truncation and mutation.
fn arb_encoding() -> impl Strategy<Value = Vec<u8>> {
    let strings = || proptest::collection::vec(any::<String>(), 0..4);
    prop_oneof![
        arb_state_reply().prop_map(|r| r.encode_to_vec()),
        (
            proptest::option::of(arb_status()),
            proptest::collection::vec(arb_info(), 0..4)
        )
            .prop_map(
                |(status, jobs)| ListRestoreSnapshotJobsResponse { status, jobs }.encode_to_vec()
            ),
        (proptest::option::of(arb_status()), strings()).prop_map(|(status, snapshots)| {
            ListSnapshotsResponse { status, snapshots }.encode_to_vec()
        }),
        (
            proptest::option::of(arb_status()),
            any::<String>(),
            strings(),
            any::<i64>()
        )
            .prop_map(|(status, name, partition_names, create_ts)| {
                DescribeSnapshotResponse {
                    status,
                    name,
                    partition_names,
                    create_ts,
                    ..Default::default()
                }
                .encode_to_vec()
            }),
        (proptest::option::of(arb_status()), any::<i64>()).prop_map(|(status, job_id)| {
            RestoreSnapshotResponse { status, job_id }.encode_to_vec()
        }),
        (
            strings(),
            proptest::collection::vec(any::<i32>(), 0..4),
            any::<bool>()
        )
            .prop_map(|(reasons, quota_states, is_healthy)| CheckHealthResponse {
                status: None,
                is_healthy,
                reasons,
                quota_states,
            }
            .encode_to_vec()),
        (
            any::<String>(),
            proptest::collection::btree_map(any::<String>(), any::<String>(), 0..3),
            any::<i64>()
        )
            .prop_map(|(deploy_mode, reserved, identifier)| ConnectResponse {
                status: Some(Status::default()),
                server_info: Some(ServerInfo {
                    deploy_mode,
                    reserved,
                    ..Default::default()
                }),
                identifier,
            }
            .encode_to_vec()),
    ]
}

/// One protobuf field with a random number (known and unknown ones), a random wire type and
/// a well-formed payload: decodes succeed far more often than with random bytes, so the JSON
/// side is exercised with wire types and values the schema does not expect.
#[derive(Debug, Clone)]
enum Field {
    Varint(u32, u64),
    Fixed64(u32, u64),
    Fixed32(u32, u32),
    Len(u32, Vec<u8>),
}

fn arb_field(payload: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Field> {
    let tag = 1u32..12;
    prop_oneof![
        (tag.clone(), any::<u64>()).prop_map(|(t, v)| Field::Varint(t, v)),
        (tag.clone(), any::<u64>()).prop_map(|(t, v)| Field::Fixed64(t, v)),
        (tag.clone(), any::<u32>()).prop_map(|(t, v)| Field::Fixed32(t, v)),
        (tag, payload).prop_map(|(t, v)| Field::Len(t, v)),
    ]
}

fn encode_fields(fields: &[Field]) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, WireType};
    let mut out = Vec::new();
    for f in fields {
        match f {
            Field::Varint(t, v) => {
                encode_key(*t, WireType::Varint, &mut out);
                encode_varint(*v, &mut out);
            }
            Field::Fixed64(t, v) => {
                encode_key(*t, WireType::SixtyFourBit, &mut out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Field::Fixed32(t, v) => {
                encode_key(*t, WireType::ThirtyTwoBit, &mut out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Field::Len(t, v) => {
                encode_key(*t, WireType::LengthDelimited, &mut out);
                encode_varint(v.len() as u64, &mut out);
                out.extend_from_slice(v);
            }
        }
    }
    out
}

/// Messages of random fields, nested up to three levels (status, info, server_info, jobs).
fn arb_field_soup() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..16),
    ]
    .boxed();
    leaf.prop_recursive(3, 64, 6, |inner| {
        proptest::collection::vec(arb_field(inner), 0..6)
            .prop_map(|fields| encode_fields(&fields))
            .boxed()
    })
}

// ---- exact values of an intact reply ----------------------------------------------------

fn assert_status_equals(text: &str, s: &Status) {
    let m = object(text, STATUS_KEYS);
    let extra: BTreeMap<String, String> = serde_json::from_str(m["extra_info"]).unwrap();
    let sent: BTreeMap<String, String> = s
        .extra_info
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    assert_eq!(extra, sent);
    let ec = json(m["error_code"]);
    match milvus_native::proto::common::ErrorCode::try_from(s.error_code) {
        Ok(e) => assert_eq!(ec, Value::from(e.as_str_name())),
        Err(_) => assert_eq!(ec, Value::from(s.error_code)),
    }
    assert_eq!(json(m["reason"]), Value::from(s.reason.as_str()));
    assert_eq!(json(m["code"]), Value::from(s.code));
    assert_eq!(json(m["retriable"]), Value::from(s.retriable));
    assert_eq!(json(m["detail"]), Value::from(s.detail.as_str()));
}

fn assert_info_equals(text: &str, i: &RestoreSnapshotInfo) {
    let m = object(text, INFO_KEYS);
    assert_eq!(json(m["job_id"]), Value::from(i.job_id.to_string()));
    assert_eq!(
        json(m["snapshot_name"]),
        Value::from(i.snapshot_name.as_str())
    );
    assert_eq!(json(m["db_name"]), Value::from(i.db_name.as_str()));
    assert_eq!(
        json(m["collection_name"]),
        Value::from(i.collection_name.as_str())
    );
    let state = json(m["state"]);
    match usize::try_from(i.state).ok().and_then(|s| STATES.get(s)) {
        Some(name) => assert_eq!(state, Value::from(*name)),
        None => assert_eq!(state, Value::from(i.state)),
    }
    assert_eq!(json(m["progress"]), Value::from(i.progress));
    assert_eq!(json(m["reason"]), Value::from(i.reason.as_str()));
    assert_eq!(json(m["start_time"]), Value::from(i.start_time.to_string()));
    assert_eq!(json(m["time_cost"]), Value::from(i.time_cost.to_string()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        every_decoder(&bytes);
    }

    #[test]
    fn random_fields_never_panic(bytes in arb_field_soup()) {
        every_decoder(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn intact_state_reply_keeps_every_value(reply in arb_state_reply()) {
        let bytes = reply.encode_to_vec();
        let back = GetRestoreSnapshotStateResponse::decode(bytes.as_slice()).unwrap();
        let text = decode::get_restore_snapshot_state(&back);
        let m = object(&text, &["status", "info"]);
        match &reply.status {
            Some(s) => assert_status_equals(m["status"], s),
            None => prop_assert_eq!(m["status"], "null"),
        }
        match &reply.info {
            Some(i) => assert_info_equals(m["info"], i),
            None => prop_assert_eq!(m["info"], "null"),
        }
    }

    #[test]
    fn truncated_encodings_never_panic(bytes in arb_encoding(), cut in any::<proptest::sample::Index>()) {
        let at = cut.index(bytes.len() + 1);
        every_decoder(&bytes[..at]);
    }

    #[test]
    fn mutated_encodings_never_panic(
        bytes in arb_encoding(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = bytes;
        if bytes.is_empty() {
            bytes.push(0);
        }
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        every_decoder(&bytes);
    }

    #[test]
    fn spliced_encodings_never_panic(a in arb_encoding(), b in arb_encoding(), cut in any::<proptest::sample::Index>()) {
        // A reply cut short and followed by another one (a stream resumed mid-message).
        let at = cut.index(a.len() + 1);
        let mut bytes = a[..at].to_vec();
        bytes.extend_from_slice(&b);
        every_decoder(&bytes);
    }
}

/// Deterministic corner cases the generators may not hit.
#[test]
fn known_hostile_inputs() {
    let escaped: &[u8] = &[0x12, 0x06, 0x12, 0x04, 0x22, 0x5c, 0x00, 0x7f];
    let cases: &[(&str, &[u8])] = &[
        ("empty", &[]),
        ("field 1, LEN, no length", &[0x0a]),
        ("LEN of 4 GB", &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (
            "11-byte varint",
            &[
                0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
        ),
        ("info.state varint cut short", &[0x12, 0x02, 0x28, 0xff]),
        (
            "state = -1",
            &[
                0x12, 0x0b, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ),
        (
            "snapshot_name: invalid UTF-8",
            &[0x12, 0x03, 0x12, 0x01, 0xc3],
        ),
        ("snapshot_name: quote, backslash, NUL, DEL", escaped),
        ("wire type 7", &[0x0f]),
        ("empty group, field 1", &[0x0b, 0x0c]),
        ("0xff x 4096", &[0xff; 4096]),
    ];
    for (what, bytes) in cases {
        eprintln!("{what}");
        every_decoder(bytes);
    }
    // 10,000 status fields in a row: the last one wins, nothing grows without bound.
    every_decoder(&[0x0a, 0x00].repeat(10_000));
    // The escaped-characters case decodes; its text must round-trip the exact string.
    let r = GetRestoreSnapshotStateResponse::decode(escaped).unwrap();
    let v = json(&decode::get_restore_snapshot_state(&r));
    assert_eq!(v["info"]["snapshot_name"], Value::from("\"\\\u{0}\u{7f}"));
}
