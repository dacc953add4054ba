//! `--fixtures FILE`: scripted GetRestoreSnapshotState replies and faults, keyed by job id, and
//! faults of any method, keyed by its name.
//!
//! ```json
//! {"42": {"status": {"code": 0}, "info": {"job_id": "42", "state": 7}},
//!  "43": {"fault": {"code": 14, "message": "down", "fail_times": 2}, "info": {"state": "RestoreSnapshotCompleted"}},
//!  "DescribeSnapshot": {"fault": {"raw_message_base64": "CgIYAQ=="}}}
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tonic::codegen::Bytes;

use crate::pb::common::{ErrorCode, Status};
use crate::pb::milvus::{
    GetRestoreSnapshotStateResponse, RestoreSnapshotInfo, RestoreSnapshotState,
};
use crate::status::success;

#[derive(Debug, Default)]
pub struct Fault {
    /// gRPC status code to fail with; `None` (or 0) replies normally after the delay.
    pub code: Option<i32>,
    pub message: String,
    /// Trailing metadata sent with the gRPC error.
    pub metadata: tonic::metadata::MetadataMap,
    pub delay: Option<Duration>,
    /// How many attempts the fault applies to; `None`: all of them.
    pub fail_times: Option<u64>,
    pub drop: bool,
    /// Reset the HTTP/2 stream (RST_STREAM) instead of replying.
    pub reset: bool,
    /// Send these bytes as the whole response body (gRPC framing included), then `grpc-status: 0`.
    pub raw_body: Option<Bytes>,
}

#[derive(Debug)]
pub struct Fixture {
    pub reply: GetRestoreSnapshotStateResponse,
    pub fault: Option<Fault>,
    attempts: AtomicU64,
}

/// What one attempt against a fixture does.
#[derive(Debug)]
pub enum Scripted<'a> {
    Reply(&'a GetRestoreSnapshotStateResponse),
    Fail(tonic::Status),
    Drop,
    Reset,
    Raw(Bytes),
}

impl Fixture {
    /// Counts the attempt and says what to do, after how long.
    pub fn attempt(&self) -> (Option<Duration>, Scripted<'_>) {
        let n = self.attempts.fetch_add(1, Ordering::Relaxed);
        match &self.fault {
            Some(f) if f.fail_times.is_none_or(|max| n < max) => {
                let what = if f.drop {
                    Scripted::Drop
                } else if f.reset {
                    Scripted::Reset
                } else if let Some(raw) = &f.raw_body {
                    Scripted::Raw(raw.clone())
                } else {
                    match f.code {
                        Some(code) if code != 0 => Scripted::Fail(tonic::Status::with_metadata(
                            tonic::Code::from(code),
                            f.message.clone(),
                            f.metadata.clone(),
                        )),
                        _ => Scripted::Reply(&self.reply),
                    }
                };
                (f.delay, what)
            }
            _ => (None, Scripted::Reply(&self.reply)),
        }
    }
}

/// The RPCs a method-keyed fixture may name.
pub const METHODS: &[&str] = &[
    "Connect",
    "GetVersion",
    "CheckHealth",
    "CreateSnapshot",
    "DropSnapshot",
    "ListSnapshots",
    "DescribeSnapshot",
    "RestoreSnapshot",
    "GetRestoreSnapshotState",
    "ListRestoreSnapshotJobs",
    "PinSnapshotData",
    "UnpinSnapshotData",
];

#[derive(Debug, Default)]
pub struct Fixtures {
    /// GetRestoreSnapshotState replies (and faults) by job id.
    pub jobs: HashMap<i64, Fixture>,
    /// Faults of every call of a method, by its name (a key of [`METHODS`]); once spent, or
    /// when only a delay, the method answers as usual.
    pub methods: HashMap<&'static str, Fixture>,
}

pub fn load(path: &std::path::Path) -> Result<Fixtures, String> {
    read(path).map(|(_, fixtures)| fixtures)
}

fn read(path: &std::path::Path) -> Result<(Vec<u8>, Fixtures), String> {
    let text =
        std::fs::read(path).map_err(|e| format!("cannot read fixtures {}: {e}", path.display()))?;
    let fixtures = parse_bytes(&text).map_err(|e| format!("fixtures {}: {e}", path.display()))?;
    Ok((text, fixtures))
}

fn parse_bytes(text: &[u8]) -> Result<Fixtures, String> {
    parse(std::str::from_utf8(text).map_err(|e| e.to_string())?)
}

pub fn parse(text: &str) -> Result<Fixtures, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Object(entries) = root else {
        return Err("expected a JSON object keyed by job id or method name".into());
    };
    let mut out = Fixtures::default();
    for (key, value) in &entries {
        if let Some(method) = METHODS.iter().find(|m| **m == key) {
            let obj = object(value, "fixture")?;
            if obj.keys().any(|k| k != "fault") {
                return Err(format!("{key}: a method fixture has only a \"fault\""));
            }
            let fixture = fixture(value).map_err(|e| format!("{key}: {e}"))?;
            out.methods.insert(method, fixture);
            continue;
        }
        let id: i64 = key
            .parse()
            .map_err(|_| format!("key {key:?} is not an int64 job id, nor a method name"))?;
        let fixture = fixture(value).map_err(|e| format!("job {key}: {e}"))?;
        out.jobs.insert(id, fixture);
    }
    Ok(out)
}

/// The fixtures in force: loaded once, or (`--fixtures-reload`) again whenever the file's
/// content changes, which is checked on each call (a whole read: the file is small, and a
/// modification time can miss two writes within one clock tick).
pub struct Source {
    path: Option<PathBuf>,
    reload: bool,
    current: Mutex<(Vec<u8>, Arc<Fixtures>)>,
}

impl Source {
    pub fn new(path: Option<PathBuf>, reload: bool) -> Result<Self, String> {
        let (text, fixtures) = match &path {
            Some(p) => read(p)?,
            None => (Vec::new(), Fixtures::default()),
        };
        Ok(Source {
            path,
            reload,
            current: Mutex::new((text, Arc::new(fixtures))),
        })
    }

    /// The fixtures for this call; an unreadable or malformed rewrite is this call's error.
    pub fn get(&self) -> Result<Arc<Fixtures>, String> {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let (true, Some(path)) = (self.reload, &self.path) {
            let text = std::fs::read(path)
                .map_err(|e| format!("cannot read fixtures {}: {e}", path.display()))?;
            if text != cur.0 {
                let fixtures =
                    parse_bytes(&text).map_err(|e| format!("fixtures {}: {e}", path.display()))?;
                *cur = (text, Arc::new(fixtures));
            }
        }
        Ok(cur.1.clone())
    }
}

fn fixture(value: &Value) -> Result<Fixture, String> {
    let obj = object(value, "fixture")?;
    let status = match obj.get("status") {
        None | Some(Value::Null) => success(),
        Some(v) => status(v)?,
    };
    let info = match obj.get("info") {
        None | Some(Value::Null) => None,
        Some(v) => Some(info(v)?),
    };
    let fault = match obj.get("fault") {
        None | Some(Value::Null) => None,
        Some(v) => Some(fault(v)?),
    };
    Ok(Fixture {
        reply: GetRestoreSnapshotStateResponse {
            status: Some(status),
            info,
        },
        fault,
        attempts: AtomicU64::new(0),
    })
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} must be a JSON object"))
}

fn status(value: &Value) -> Result<Status, String> {
    let obj = object(value, "status")?;
    let mut s = Status::default();
    for (k, v) in obj {
        match k.as_str() {
            "code" => s.code = int(v, k)?,
            "reason" => s.reason = string(v, k)?,
            "detail" => s.detail = string(v, k)?,
            "retriable" => s.retriable = v.as_bool().ok_or("retriable must be a boolean")?,
            "error_code" => {
                s.error_code = enum_value(v, k, |n| ErrorCode::from_str_name(n).map(|e| e as i32))?
            }
            "extra_info" => {
                for (ek, ev) in object(v, k)? {
                    s.extra_info.insert(ek.clone(), string(ev, ek)?);
                }
            }
            other => return Err(format!("unknown status field {other:?}")),
        }
    }
    Ok(s)
}

fn info(value: &Value) -> Result<RestoreSnapshotInfo, String> {
    let obj = object(value, "info")?;
    let mut i = RestoreSnapshotInfo::default();
    for (k, v) in obj {
        match k.as_str() {
            "job_id" => i.job_id = int(v, k)?,
            "snapshot_name" => i.snapshot_name = string(v, k)?,
            "db_name" => i.db_name = string(v, k)?,
            "collection_name" => i.collection_name = string(v, k)?,
            "state" => {
                i.state = enum_value(v, k, |n| {
                    RestoreSnapshotState::from_str_name(n).map(|e| e as i32)
                })?
            }
            "progress" => i.progress = int(v, k)?,
            "reason" => i.reason = string(v, k)?,
            "start_time" => i.start_time = int(v, k)?,
            "time_cost" => i.time_cost = int(v, k)?,
            other => return Err(format!("unknown info field {other:?}")),
        }
    }
    Ok(i)
}

fn fault(value: &Value) -> Result<Fault, String> {
    let obj = object(value, "fault")?;
    let mut f = Fault::default();
    for (k, v) in obj {
        match k.as_str() {
            "code" => f.code = Some(int(v, k)?),
            "message" => f.message = string(v, k)?,
            "metadata" => {
                for (mk, mv) in object(v, k)? {
                    let key = tonic::metadata::MetadataKey::from_bytes(mk.as_bytes())
                        .map_err(|_| format!("metadata key {mk:?} is not a valid header name"))?;
                    let value = string(mv, mk)?
                        .parse()
                        .map_err(|_| format!("metadata {mk}: not a valid header value"))?;
                    f.metadata.insert(key, value);
                }
            }
            "delay_ms" => f.delay = Some(Duration::from_millis(int(v, k)?)),
            "fail_times" => f.fail_times = Some(int(v, k)?),
            "drop" => f.drop = v.as_bool().ok_or("drop must be a boolean")?,
            "reset" => f.reset = v.as_bool().ok_or("reset must be a boolean")?,
            "raw_body_base64" => f.raw_body = Some(base64(v, k)?),
            "raw_message_base64" => {
                // One well-framed gRPC message around arbitrary payload bytes.
                let payload = base64(v, k)?;
                let mut framed = Vec::with_capacity(payload.len() + 5);
                framed.push(0);
                framed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                framed.extend_from_slice(&payload);
                f.raw_body = Some(Bytes::from(framed));
            }
            other => return Err(format!("unknown fault field {other:?}")),
        }
    }
    Ok(f)
}

/// A JSON number or a decimal string, in the target integer's range.
fn int<T>(v: &Value, field: &str) -> Result<T, String>
where
    T: std::str::FromStr,
{
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(format!("{field} must be an integer or a decimal string")),
    };
    text.parse()
        .map_err(|_| format!("{field}: {text} is not an integer in range"))
}

fn base64(v: &Value, field: &str) -> Result<Bytes, String> {
    use base64::Engine;
    let text = string(v, field)?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map(Bytes::from)
        .map_err(|e| format!("{field}: not base64: {e}"))
}

fn string(v: &Value, field: &str) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{field} must be a string"))
}

/// An enum given by number (any i32, known or not) or by name.
fn enum_value(
    v: &Value,
    field: &str,
    by_name: impl Fn(&str) -> Option<i32>,
) -> Result<i32, String> {
    match v {
        Value::String(name) => match by_name(name) {
            Some(n) => Ok(n),
            None => int(v, field).map_err(|_| format!("{field}: unknown name {name:?}")),
        },
        _ => int(v, field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_replies() {
        let f = parse(
            r#"{"9223372036854775807": {"status": {"code": 5, "error_code": "RateLimit", "extra_info": {"a": "b"}},
                 "info": {"job_id": "9223372036854775807", "state": 7, "start_time": 18446744073709551615, "time_cost": "18446744073709551615"}},
                "-1": {"info": {"state": "RestoreSnapshotCompleted", "progress": 100}},
                "2": {}}"#,
        )
        .unwrap();
        let r = &f.jobs[&i64::MAX].reply;
        let s = r.status.as_ref().unwrap();
        assert_eq!((s.code, s.error_code), (5, ErrorCode::RateLimit as i32));
        let i = r.info.as_ref().unwrap();
        assert_eq!(
            (i.state, i.start_time, i.time_cost),
            (7, u64::MAX, u64::MAX)
        );
        assert_eq!(f.jobs[&-1].reply.info.as_ref().unwrap().state, 3);
        assert!(f.jobs[&2].reply.info.is_none());
        assert_eq!(f.jobs[&2].reply.status.as_ref().unwrap().code, 0);
    }

    #[test]
    fn fail_times_then_reply() {
        let f =
            parse(r#"{"1": {"fault": {"code": 14, "message": "x", "fail_times": 2}}}"#).unwrap();
        let fx = &f.jobs[&1];
        assert!(matches!(
            fx.attempt().1,
            Scripted::Fail(s) if s.code() == tonic::Code::Unavailable && s.message() == "x"
        ));
        assert!(matches!(fx.attempt().1, Scripted::Fail(..)));
        assert!(matches!(fx.attempt().1, Scripted::Reply(_)));
    }

    #[test]
    fn delay_only_and_drop() {
        let f = parse(
            r#"{"1": {"fault": {"delay_ms": 5}}, "2": {"fault": {"drop": true, "fail_times": 1}}}"#,
        )
        .unwrap();
        let (d, what) = f.jobs[&1].attempt();
        assert_eq!(d, Some(Duration::from_millis(5)));
        assert!(matches!(what, Scripted::Reply(_)));
        assert!(matches!(f.jobs[&2].attempt().1, Scripted::Drop));
        assert!(matches!(f.jobs[&2].attempt().1, Scripted::Reply(_)));
    }

    #[test]
    fn reset_and_raw_bodies() {
        let f = parse(
            r#"{"1": {"fault": {"reset": true}},
                "2": {"fault": {"raw_body_base64": "AAAAAAUB"}},
                "3": {"fault": {"raw_message_base64": "CAE="}}}"#,
        )
        .unwrap();
        assert!(matches!(f.jobs[&1].attempt().1, Scripted::Reset));
        match f.jobs[&2].attempt().1 {
            Scripted::Raw(b) => assert_eq!(&b[..], &[0, 0, 0, 0, 5, 1]),
            other => panic!("{other:?}"),
        }
        match f.jobs[&3].attempt().1 {
            Scripted::Raw(b) => assert_eq!(&b[..], &[0, 0, 0, 0, 2, 8, 1]),
            other => panic!("{other:?}"),
        }
        assert!(parse(r#"{"1": {"fault": {"raw_body_base64": "!!"}}}"#).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"x": {}}"#).is_err());
        assert!(parse(r#"{"1": {"info": {"start_time": -1}}}"#).is_err());
        assert!(parse(r#"{"1": {"info": {"state": "Nope"}}}"#).is_err());
        assert!(parse(r#"{"ListSnapshots": {"status": {"code": 1}}}"#).is_err());
        assert!(parse(r#"{"NoSuchMethod": {"fault": {"code": 14}}}"#).is_err());
    }

    #[test]
    fn method_fixtures() {
        let f = parse(
            r#"{"DescribeSnapshot": {"fault": {"raw_message_base64": "CAE=", "fail_times": 1}},
                "7": {"info": {"state": 2}}}"#,
        )
        .unwrap();
        let fx = &f.methods["DescribeSnapshot"];
        assert!(matches!(fx.attempt().1, Scripted::Raw(_)));
        assert!(matches!(fx.attempt().1, Scripted::Reply(_)));
        assert!(f.jobs.contains_key(&7));
    }

    #[test]
    fn reloads_a_rewritten_file() {
        let dir = std::env::temp_dir().join(format!("milvus-sim-fx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.json");
        std::fs::write(&path, r#"{"1": {}}"#).unwrap();
        let once = Source::new(Some(path.clone()), false).unwrap();
        let live = Source::new(Some(path.clone()), true).unwrap();
        let next = dir.join("next.json");
        std::fs::write(
            &next,
            r#"{"2": {}, "ListSnapshots": {"fault": {"code": 14}}}"#,
        )
        .unwrap();
        std::fs::rename(&next, &path).unwrap();
        assert!(once.get().unwrap().jobs.contains_key(&1));
        let now = live.get().unwrap();
        assert!(now.jobs.contains_key(&2) && now.methods.contains_key("ListSnapshots"));
        std::fs::write(&path, r#"{"3": {}}"#).unwrap(); // same size, same clock tick
        assert!(live.get().unwrap().jobs.contains_key(&3));
        std::fs::write(&path, "not json").unwrap();
        assert!(live.get().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
