//! Command-line flags of `milvus-sim` and what they turn into.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(
    name = "milvus-sim",
    version,
    about = "A local Milvus 3.0 snapshot server for tests, demos and CI",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a throwaway CA, server certificates (with and without SAN) and a client certificate.
    GenCerts {
        /// Directory to write ca.pem/ca.key, server.pem/.key, server-nosan.pem/.key, client.pem/.key.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free one (printed as `LISTENING <port>`).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed a collection, `DB/NAME` (or `NAME` in `default`); the database is created implicitly.
    #[arg(long = "collection", value_name = "DB/NAME")]
    pub collections: Vec<String>,
    /// Turn authentication on and accept this `USER:PASSWORD` (repeatable).
    #[arg(long = "auth", value_name = "USER:PASSWORD")]
    pub auth: Vec<String>,
    /// JSON file of scripted GetRestoreSnapshotState replies and faults, keyed by job id.
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
    /// Read --fixtures again whenever the file changes (checked on each call), so a test can
    /// script the next reply by renaming a new file over it.
    #[arg(long, requires = "fixtures")]
    pub fixtures_reload: bool,
    /// Write one JSON line per call attempt to this file (truncated at start).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Time a restore spends copying its segments once executing, in ms.
    #[arg(long, default_value_t = 3000)]
    pub restore_ms: u64,
    /// Segments copied by each restore (progress steps).
    #[arg(long, default_value_t = 3)]
    pub segments: u32,
    /// Checker period in ms: a restore stays Pending for one period before executing.
    #[arg(long, default_value_t = 2000)]
    pub tick_ms: u64,
    /// Restores of this snapshot fail, with REASON (default `1/<segments> tasks failed`).
    #[arg(long = "fail-snapshot", value_name = "NAME[=REASON]")]
    pub fail_snapshots: Vec<String>,
    /// Finished restore jobs are forgotten this long after they finish, in ms (Milvus: 3 h).
    #[arg(long, default_value_t = 10_800_000)]
    pub job_retention_ms: u64,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (mutual TLS).
    #[arg(long, requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Also shut down when stdin reaches EOF, so a child started with stdin as a pipe ends with
    /// its parent (the project's tests pass it). Without it the server runs until SIGINT/SIGTERM,
    /// whatever its stdin is (`/dev/null` in a shell's background, systemd, `docker run`, CI).
    #[arg(long)]
    pub exit_on_stdin_eof: bool,
    /// Accepted for scripts written for older versions, which exited on stdin EOF by default;
    /// running on is now the default.
    #[arg(long, hide = true, conflicts_with = "exit_on_stdin_eof")]
    pub ignore_stdin: bool,
    /// Runtime worker threads. One is the fastest on a small machine shared with the client
    /// (measured on 2 cores: 11 µs of server CPU per call, against 14 µs with two workers).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

impl ServeArgs {
    /// `--collection` values as (database, collection).
    pub fn seeded_collections(&self) -> Result<Vec<(String, String)>, BoxError> {
        self.collections
            .iter()
            .map(|spec| {
                let (db, name) = spec.split_once('/').unwrap_or(("default", spec));
                if db.is_empty() || name.is_empty() || name.contains('/') {
                    return Err(format!("--collection expects DB/NAME, got {spec:?}").into());
                }
                Ok((db.to_string(), name.to_string()))
            })
            .collect()
    }

    /// `--fail-snapshot` values as (snapshot name, optional reason).
    pub fn failing_snapshots(&self) -> Vec<(String, Option<String>)> {
        self.fail_snapshots
            .iter()
            .map(|spec| match spec.split_once('=') {
                Some((name, reason)) => (name.to_string(), Some(reason.to_string())),
                None => (spec.clone(), None),
            })
            .collect()
    }

    pub fn tls_config(&self) -> Result<Option<ServerTlsConfig>, BoxError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let read =
            |p: &PathBuf| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
        if let Some(ca) = &self.tls_client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        Ok(Some(tls))
    }
}
