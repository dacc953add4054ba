//! Replies → the JSON text of exactly the object the official client resolves with
//! (SPEC §2). The JS side only `JSON.parse`s it, which is the cheapest way to build the object.
//!
//! protobufjs `toObject` with `keepCase, longs: String, enums: String, defaults: true` fixes:
//! - key order: repeated fields first, then maps, then the other fields, each group in field
//!   number order;
//! - int64/uint64 as decimal strings; enums by name, a number the proto does not know as-is;
//! - absent scalars as their defaults, absent messages as `null`;
//! - a map (`status.extra_info`) as protobufjs builds it: each wire entry assigned in wire order
//!   to a plain object, so a repeated key keeps its first place and its last value, integer-like
//!   keys come first (JavaScript's own property order, which `JSON.parse` applies too); a
//!   `__proto__` key is an own property in both.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::proto::common::ErrorCode;
use crate::proto::milvus::{
    CheckHealthResponse, ConnectResponse, DescribeSnapshotResponse,
    GetRestoreSnapshotStateResponse, GetVersionResponse, ListRestoreSnapshotJobsResponse,
    ListSnapshotsResponse, PinSnapshotDataResponse, QuotaState, RestoreSnapshotInfo,
    RestoreSnapshotResponse, RestoreSnapshotState,
};
use wire::{MapEntry, Status};

/// `common.Status` as it arrives: `extra_info` in wire order (prost's maps would sort it).
/// Wire-compatible with `map<string, string> extra_info = 6`: a map is a repeated entry message.
pub mod wire {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Status {
        /// `ErrorCode` (deprecated by Milvus, still sent).
        #[prost(int32, tag = "1")]
        pub error_code: i32,
        #[prost(string, tag = "2")]
        pub reason: String,
        #[prost(int32, tag = "3")]
        pub code: i32,
        #[prost(bool, tag = "4")]
        pub retriable: bool,
        #[prost(string, tag = "5")]
        pub detail: String,
        #[prost(message, repeated, tag = "6")]
        pub extra_info: Vec<MapEntry>,
    }

    /// One `map<string, string>` entry.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MapEntry {
        #[prost(string, tag = "1")]
        pub key: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }

    impl MapEntry {
        pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
            MapEntry {
                key: key.into(),
                value: value.into(),
            }
        }
    }
}

/// Builds one JSON object; commas are handled by the writer.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }
    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
        self.out
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        let out = self.key(k);
        string(out, v);
        self
    }
    fn int64(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        let out = self.key(k);
        let _ = write!(out, "\"{v}\"");
        self
    }
    fn num(&mut self, k: &str, v: i32) -> &mut Self {
        let out = self.key(k);
        let _ = write!(out, "{v}");
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).push_str(if v { "true" } else { "false" });
        self
    }
    fn strings(&mut self, k: &str, v: &[String]) -> &mut Self {
        let out = self.key(k);
        out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, s);
        }
        out.push(']');
        self
    }
    fn map(&mut self, k: &str, v: &BTreeMap<String, String>) -> &mut Self {
        let out = self.key(k);
        let mut m = Obj::open(out);
        for (key, val) in v {
            let out = m.key_escaped(key);
            string(out, val);
        }
        m.close();
        self
    }
    /// A map from its wire entries, in wire order. `JSON.parse` gives a repeated key its first
    /// place and last value and puts integer-like keys first, as assigning them does.
    fn entries(&mut self, k: &str, v: &[MapEntry]) -> &mut Self {
        let out = self.key(k);
        let mut m = Obj::open(out);
        for e in v {
            let out = m.key_escaped(&e.key);
            string(out, &e.value);
        }
        m.close();
        self
    }
    /// A key that comes from the wire and may need escaping.
    fn key_escaped(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, k);
        self.out.push(':');
        self.out
    }
    fn enum_(&mut self, k: &str, v: i32, name: Option<&str>) -> &mut Self {
        match name {
            Some(n) => self.str(k, n),
            None => self.num(k, v),
        }
    }
    fn msg<T>(&mut self, k: &str, v: Option<&T>, write: fn(&mut String, &T)) -> &mut Self {
        let out = self.key(k);
        match v {
            Some(v) => write(out, v),
            None => out.push_str("null"),
        }
        self
    }
    fn close(self) {
        self.out.push('}');
    }
}

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn error_code_name(v: i32) -> Option<&'static str> {
    ErrorCode::try_from(v).ok().map(|e| e.as_str_name())
}

fn state_name(v: i32) -> Option<&'static str> {
    RestoreSnapshotState::try_from(v)
        .ok()
        .map(|e| e.as_str_name())
}

pub fn status(out: &mut String, s: &Status) {
    let mut o = Obj::open(out);
    o.entries("extra_info", &s.extra_info)
        .enum_("error_code", s.error_code, error_code_name(s.error_code))
        .str("reason", &s.reason)
        .num("code", s.code)
        .bool("retriable", s.retriable)
        .str("detail", &s.detail);
    o.close();
}

pub fn restore_info(out: &mut String, i: &RestoreSnapshotInfo) {
    let mut o = Obj::open(out);
    o.int64("job_id", i.job_id)
        .str("snapshot_name", &i.snapshot_name)
        .str("db_name", &i.db_name)
        .str("collection_name", &i.collection_name)
        .enum_("state", i.state, state_name(i.state))
        .num("progress", i.progress)
        .str("reason", &i.reason)
        .int64("start_time", i.start_time)
        .int64("time_cost", i.time_cost);
    o.close();
}

/// A reply made of a status only (CreateSnapshot, DropSnapshot, UnpinSnapshotData).
pub fn status_reply(s: &Status) -> String {
    let mut out = String::with_capacity(128);
    status(&mut out, s);
    out
}

pub fn get_restore_snapshot_state(r: &GetRestoreSnapshotStateResponse) -> String {
    let mut out = String::with_capacity(320);
    let mut o = Obj::open(&mut out);
    o.msg("status", r.status.as_ref(), status)
        .msg("info", r.info.as_ref(), restore_info);
    o.close();
    out
}

pub fn list_restore_snapshot_jobs(r: &ListRestoreSnapshotJobsResponse) -> String {
    let mut out = String::with_capacity(128 + 256 * r.jobs.len());
    let mut o = Obj::open(&mut out);
    {
        let arr = o.key("jobs");
        arr.push('[');
        for (i, job) in r.jobs.iter().enumerate() {
            if i > 0 {
                arr.push(',');
            }
            restore_info(arr, job);
        }
        arr.push(']');
    }
    o.msg("status", r.status.as_ref(), status);
    o.close();
    out
}

pub fn list_snapshots(r: &ListSnapshotsResponse) -> String {
    let mut out = String::with_capacity(160);
    let mut o = Obj::open(&mut out);
    o.strings("snapshots", &r.snapshots)
        .msg("status", r.status.as_ref(), status);
    o.close();
    out
}

pub fn describe_snapshot(r: &DescribeSnapshotResponse) -> String {
    let mut out = String::with_capacity(320);
    let mut o = Obj::open(&mut out);
    o.strings("partition_names", &r.partition_names)
        .msg("status", r.status.as_ref(), status)
        .str("name", &r.name)
        .str("description", &r.description)
        .str("collection_name", &r.collection_name)
        .int64("create_ts", r.create_ts)
        .str("s3_location", &r.s3_location);
    o.close();
    out
}

pub fn restore_snapshot(r: &RestoreSnapshotResponse) -> String {
    let mut out = String::with_capacity(160);
    let mut o = Obj::open(&mut out);
    o.msg("status", r.status.as_ref(), status)
        .int64("job_id", r.job_id);
    o.close();
    out
}

pub fn pin_snapshot_data(r: &PinSnapshotDataResponse) -> String {
    let mut out = String::with_capacity(160);
    let mut o = Obj::open(&mut out);
    o.msg("status", r.status.as_ref(), status)
        .int64("pin_id", r.pin_id);
    o.close();
    out
}

pub fn get_version(r: &GetVersionResponse) -> String {
    let mut out = String::with_capacity(160);
    let mut o = Obj::open(&mut out);
    o.msg("status", r.status.as_ref(), status)
        .str("version", &r.version);
    o.close();
    out
}

pub fn check_health(r: &CheckHealthResponse) -> String {
    let mut out = String::with_capacity(160);
    let mut o = Obj::open(&mut out);
    o.strings("reasons", &r.reasons);
    {
        let arr = o.key("quota_states");
        arr.push('[');
        for (i, q) in r.quota_states.iter().enumerate() {
            if i > 0 {
                arr.push(',');
            }
            match QuotaState::try_from(*q) {
                Ok(q) => string(arr, q.as_str_name()),
                Err(_) => {
                    let _ = write!(arr, "{q}");
                }
            }
        }
        arr.push(']');
    }
    o.msg("status", r.status.as_ref(), status)
        .bool("isHealthy", r.is_healthy);
    o.close();
    out
}

pub fn connect(r: &ConnectResponse) -> String {
    let mut out = String::with_capacity(320);
    let mut o = Obj::open(&mut out);
    o.msg("status", r.status.as_ref(), status)
        .msg("server_info", r.server_info.as_ref(), |out, s| {
            let mut o = Obj::open(out);
            o.map("reserved", &s.reserved)
                .str("build_tags", &s.build_tags)
                .str("build_time", &s.build_time)
                .str("git_commit", &s.git_commit)
                .str("go_version", &s.go_version)
                .str("deploy_mode", &s.deploy_mode);
            o.close();
        })
        .int64("identifier", r.identifier);
    o.close();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::common::ServerInfo;

    #[test]
    fn golden_get_restore_snapshot_state() {
        // SPEC §2: a reply that set job_id, state=3, progress=50 and start_time only.
        let reply = GetRestoreSnapshotStateResponse {
            status: Some(Status::default()),
            info: Some(RestoreSnapshotInfo {
                job_id: 123456789012345678,
                state: 3,
                progress: 50,
                start_time: 1760000000000,
                ..Default::default()
            }),
        };
        assert_eq!(
            get_restore_snapshot_state(&reply),
            r#"{"status":{"extra_info":{},"error_code":"Success","reason":"","code":0,"retriable":false,"detail":""},"info":{"job_id":"123456789012345678","snapshot_name":"","db_name":"","collection_name":"","state":"RestoreSnapshotCompleted","progress":50,"reason":"","start_time":"1760000000000","time_cost":"0"}}"#
        );
    }

    #[test]
    fn absent_messages_are_null_and_unknown_enums_stay_numbers() {
        let reply = GetRestoreSnapshotStateResponse::default();
        assert_eq!(
            get_restore_snapshot_state(&reply),
            r#"{"status":null,"info":null}"#
        );
        let reply = GetRestoreSnapshotStateResponse {
            status: Some(Status {
                error_code: 999,
                code: 2101,
                ..Default::default()
            }),
            info: Some(RestoreSnapshotInfo {
                state: 7,
                ..Default::default()
            }),
        };
        let json = get_restore_snapshot_state(&reply);
        assert!(json.contains(r#""error_code":999,"#), "{json}");
        assert!(json.contains(r#""state":7,"#), "{json}");
    }

    #[test]
    fn extremes_and_escaping() {
        let reply = GetRestoreSnapshotStateResponse {
            status: Some(Status {
                error_code: 1,
                reason: "restore \"job\"\n\\ 失败 \u{1}".into(),
                code: 2101,
                retriable: true,
                detail: "d".into(),
                extra_info: vec![MapEntry::new("is_input_error", "true")],
            }),
            info: Some(RestoreSnapshotInfo {
                job_id: i64::MIN,
                start_time: u64::MAX,
                time_cost: u64::MAX,
                ..Default::default()
            }),
        };
        let json = get_restore_snapshot_state(&reply);
        assert!(json.starts_with(
            r#"{"status":{"extra_info":{"is_input_error":"true"},"error_code":"UnexpectedError","reason":"restore \"job\"\n\\ 失败 \u0001","code":2101,"retriable":true,"detail":"d"}"#
        ), "{json}");
        assert!(json.contains(r#""job_id":"-9223372036854775808""#));
        assert!(json.contains(
            r#""start_time":"18446744073709551615","time_cost":"18446744073709551615"}}"#
        ));
    }

    #[test]
    fn repeated_fields_come_first() {
        let r = ListSnapshotsResponse {
            status: Some(Status::default()),
            snapshots: vec!["a".into(), "b".into()],
        };
        assert!(list_snapshots(&r).starts_with(r#"{"snapshots":["a","b"],"status":{"#));
        let r = DescribeSnapshotResponse {
            create_ts: 42,
            ..Default::default()
        };
        assert_eq!(
            describe_snapshot(&r),
            r#"{"partition_names":[],"status":null,"name":"","description":"","collection_name":"","create_ts":"42","s3_location":""}"#
        );
        let r = ListRestoreSnapshotJobsResponse::default();
        assert_eq!(
            list_restore_snapshot_jobs(&r),
            r#"{"jobs":[],"status":null}"#
        );
        let r = CheckHealthResponse {
            quota_states: vec![2, 77],
            is_healthy: true,
            ..Default::default()
        };
        assert_eq!(
            check_health(&r),
            r#"{"reasons":[],"quota_states":["ReadLimited",77],"status":null,"isHealthy":true}"#
        );
    }

    #[test]
    fn map_entries_keep_the_wire_order_as_javascript_assigns_them() {
        let s = Status {
            extra_info: vec![
                MapEntry::new("b", "1"),
                MapEntry::new("a", "2"),
                MapEntry::new("b", "3"),
                MapEntry::new("10", "4"),
                MapEntry::new("", ""),
            ],
            ..Default::default()
        };
        // The text keeps the wire order and the repeat; JSON.parse makes it
        // {"10":"4","b":"3","a":"2","":""}, as protobufjs's assignments do.
        assert!(
            status_reply(&s).starts_with(
                r#"{"extra_info":{"b":"1","a":"2","b":"3","10":"4","":""},"error_code""#
            ),
            "{}",
            status_reply(&s)
        );
    }

    #[test]
    fn connect_reply() {
        let r = ConnectResponse {
            status: Some(Status::default()),
            server_info: Some(ServerInfo {
                deploy_mode: "STANDALONE".into(),
                ..Default::default()
            }),
            identifier: 7,
        };
        let json = connect(&r);
        assert!(
            json.contains(r#""server_info":{"reserved":{},"build_tags":"","#),
            "{json}"
        );
        assert!(
            json.ends_with(r#""deploy_mode":"STANDALONE"},"identifier":"7"}"#),
            "{json}"
        );
    }
}
