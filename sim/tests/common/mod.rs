//! Starts `milvus-sim` as a child process on port 0 and connects a tonic client to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use milvus_sim::pb::milvus::milvus_service_client::MilvusServiceClient;
use tonic::transport::Channel;

pub type Client = MilvusServiceClient<Channel>;

pub struct Sim {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// A fresh scratch directory per call.
pub fn scratch() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "milvus-sim-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        Self::start_in(scratch(), args)
    }

    pub fn start_in(dir: PathBuf, args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_milvus-sim"))
            // The test process's end closes the pipe, so no simulator outlives a failed test.
            .arg("--exit-on-stdin-eof")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn milvus-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("expected LISTENING, got {line:?}"))
            .parse()
            .unwrap();
        Sim { child, port, dir }
    }

    /// Starts with a fixtures file holding `json`.
    pub fn with_fixtures(json: &str, args: &[&str]) -> Sim {
        let dir = scratch();
        let path = dir.join("fixtures.json");
        std::fs::write(&path, json).unwrap();
        let mut all = vec!["--fixtures", path.to_str().unwrap()];
        all.extend_from_slice(args);
        Self::start_in(dir.clone(), &all)
    }

    pub fn record_path(&self) -> PathBuf {
        self.dir.join("record.jsonl")
    }

    pub fn records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.record_path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    pub async fn client(&self) -> Client {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .expect("connect to milvus-sim");
        MilvusServiceClient::new(channel)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request with extra metadata.
pub fn with_headers<T>(message: T, headers: &[(&'static str, &str)]) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    for (k, v) in headers {
        req.metadata_mut().insert(*k, v.parse().unwrap());
    }
    req
}
