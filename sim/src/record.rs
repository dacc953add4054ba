//! `--record FILE`: one JSON line per call attempt, written (unbuffered) when the attempt ends.

use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{json, Map, Value};
use tonic::metadata::{KeyAndValueRef, MetadataMap};

use crate::now_ms;
use crate::pb::milvus as pb;

pub struct Recorder {
    file: Mutex<File>,
}

impl Recorder {
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        Ok(Recorder {
            file: Mutex::new(File::create(path)?),
        })
    }

    /// Starts a record; it is written when finished, or as `cancelled` when dropped unfinished
    /// (the handler future was dropped because the client reset the stream).
    pub fn begin(
        self: &Arc<Self>,
        method: &'static str,
        meta: &MetadataMap,
        request: Value,
    ) -> Pending {
        Pending {
            recorder: self.clone(),
            method,
            headers: headers(meta),
            request,
            t_ms: now_ms(),
            done: false,
        }
    }

    fn write(&self, line: &Value) {
        let mut text = line.to_string();
        text.push('\n');
        // One write per line: readers see whole lines as soon as the call ends.
        let _ = self.file.lock().unwrap().write_all(text.as_bytes());
    }
}

pub struct Pending {
    recorder: Arc<Recorder>,
    method: &'static str,
    headers: Value,
    request: Value,
    t_ms: u64,
    done: bool,
}

impl Pending {
    /// `outcome`: `ok`, `grpc:<code>`, `dropped`; `status_code` of the Milvus status replied.
    pub fn finish(mut self, outcome: &str, status_code: Option<i32>) {
        self.write(outcome, status_code);
    }

    fn write(&mut self, outcome: &str, status_code: Option<i32>) {
        self.done = true;
        let mut line = json!({
            "method": self.method,
            "headers": std::mem::take(&mut self.headers),
            "request": std::mem::take(&mut self.request),
            "outcome": outcome,
            "t_ms": self.t_ms,
        });
        if let Some(code) = status_code {
            line["status_code"] = code.into();
        }
        self.recorder.write(&line);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            self.write("cancelled", None);
        }
    }
}

/// Every request header; binary values base64, repeated keys joined with `, `.
fn headers(meta: &MetadataMap) -> Value {
    let mut out = Map::new();
    for kv in meta.iter() {
        let (key, value) = match kv {
            KeyAndValueRef::Ascii(k, v) => (
                k.as_str(),
                v.to_str()
                    .map(str::to_string)
                    .unwrap_or_else(|_| String::from_utf8_lossy(v.as_encoded_bytes()).into_owned()),
            ),
            KeyAndValueRef::Binary(k, v) => (
                k.as_str(),
                base64::engine::general_purpose::STANDARD.encode(v.as_encoded_bytes()),
            ),
        };
        match out.get_mut(key) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&value);
            }
            _ => {
                out.insert(key.to_string(), Value::String(value));
            }
        }
    }
    Value::Object(out)
}

/// A request's fields as JSON; int64 as decimal strings.
pub trait ToRecord {
    fn to_record(&self) -> Value;
}

/// `base` (common.MsgBase) under the proto's field names; 64-bit integers as decimal strings,
/// `msg_type` as its number, `replicateInfo` null when absent.
fn base_record(base: &crate::pb::common::MsgBase) -> Value {
    let info = base.replicate_info.as_ref().map(|i| {
        json!({"isReplicate": i.is_replicate, "msgTimestamp": i.msg_timestamp.to_string(),
               "replicateID": i.replicate_id})
    });
    json!({"msg_type": base.msg_type, "msgID": base.msg_id.to_string(),
           "timestamp": base.timestamp.to_string(), "sourceID": base.source_id.to_string(),
           "targetID": base.target_id.to_string(), "properties": base.properties,
           "replicateInfo": info})
}

/// A snapshot request's record: `fields`, and `base` when the request carried one.
fn with_base(base: &Option<crate::pb::common::MsgBase>, fields: Value) -> Value {
    match (base, fields) {
        (Some(b), Value::Object(rest)) => {
            let mut out = Map::new();
            out.insert("base".into(), base_record(b));
            out.extend(rest);
            Value::Object(out)
        }
        (_, fields) => fields,
    }
}

impl ToRecord for pb::ConnectRequest {
    fn to_record(&self) -> Value {
        match &self.client_info {
            None => json!({}),
            Some(c) => json!({"client_info": {
                "sdk_type": c.sdk_type, "sdk_version": c.sdk_version, "local_time": c.local_time,
                "user": c.user, "host": c.host, "reserved": c.reserved,
            }}),
        }
    }
}

impl ToRecord for pb::GetVersionRequest {
    fn to_record(&self) -> Value {
        json!({})
    }
}

impl ToRecord for pb::CheckHealthRequest {
    fn to_record(&self) -> Value {
        json!({})
    }
}

impl ToRecord for pb::CreateSnapshotRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"name": self.name, "description": self.description, "db_name": self.db_name,
               "collection_name": self.collection_name,
               "compaction_protection_seconds": self.compaction_protection_seconds.to_string()}),
        )
    }
}

impl ToRecord for pb::DropSnapshotRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"name": self.name, "db_name": self.db_name,
                   "collection_name": self.collection_name}),
        )
    }
}

impl ToRecord for pb::ListSnapshotsRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"db_name": self.db_name, "collection_name": self.collection_name}),
        )
    }
}

impl ToRecord for pb::DescribeSnapshotRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"name": self.name, "db_name": self.db_name,
                   "collection_name": self.collection_name}),
        )
    }
}

impl ToRecord for pb::RestoreSnapshotRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"name": self.name, "db_name": self.db_name,
                   "collection_name": self.collection_name,
               "rewrite_data": self.rewrite_data, "target_db_name": self.target_db_name,
               "target_collection_name": self.target_collection_name}),
        )
    }
}

impl ToRecord for pb::GetRestoreSnapshotStateRequest {
    fn to_record(&self) -> Value {
        with_base(&self.base, json!({"job_id": self.job_id.to_string()}))
    }
}

impl ToRecord for pb::ListRestoreSnapshotJobsRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"db_name": self.db_name, "collection_name": self.collection_name}),
        )
    }
}

impl ToRecord for pb::PinSnapshotDataRequest {
    fn to_record(&self) -> Value {
        with_base(
            &self.base,
            json!({"name": self.name, "db_name": self.db_name,
                   "collection_name": self.collection_name,
               "ttl_seconds": self.ttl_seconds.to_string()}),
        )
    }
}

impl ToRecord for pb::UnpinSnapshotDataRequest {
    fn to_record(&self) -> Value {
        with_base(&self.base, json!({"pin_id": self.pin_id.to_string()}))
    }
}
