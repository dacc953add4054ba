//! The simulator's state and [`Sim::call`], the one path of every RPC: record the attempt, check
//! auth, run the handler (in `handlers.rs`), apply any scripted delay, fault, drop or reset.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tonic::codegen::Bytes;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TlsConnectInfo;
use tonic::{Extensions, Request, Response, Status};

use crate::config::ServeArgs;
use crate::fixtures::{self, Scripted};
use crate::jobs::Timing;
use crate::net::ConnInfo;
use crate::pb::common::Status as MilvusStatus;
use crate::pb::milvus::milvus_service_server::MilvusServiceServer;
use crate::pb::milvus::*;
use crate::record::{Recorder, ToRecord};
use crate::status::{success, MilvusError};
use crate::store::{SnapshotRef, Store};
use crate::unary::{RawBody, ResetStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Sim {
    pub(crate) store: Store,
    fixtures: fixtures::Source,
    /// Accepted `user:password` pairs; empty: auth off.
    users: HashSet<String>,
    recorder: Option<Arc<Recorder>>,
}

/// What a handler decided: reply, fail with a gRPC status, or drop the connection.
pub(crate) enum Action<R> {
    Reply(R),
    Fail(Status),
    Drop,
    /// Reset the HTTP/2 stream (done by [`crate::unary::UnaryWire`]).
    Reset,
    /// Send these bytes as the response body (done by [`crate::unary::UnaryWire`]).
    Raw(Bytes),
}

pub(crate) struct Plan<R> {
    delay: Option<Duration>,
    action: Action<R>,
}

pub(crate) fn reply<R>(r: R) -> Plan<R> {
    Plan {
        delay: None,
        action: Action::Reply(r),
    }
}

/// The request's headers and connection, for handlers that need them.
pub(crate) struct Ctx {
    meta: MetadataMap,
    ext: Extensions,
}

impl Ctx {
    /// The request's `db_name` when non-empty, else the `dbname` header, else `default`.
    pub(crate) fn db<'a>(&'a self, field: &'a str) -> &'a str {
        if !field.is_empty() {
            return field;
        }
        self.meta
            .get("dbname")
            .and_then(|v| v.to_str().ok())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    fn conn(&self) -> Option<&ConnInfo> {
        self.ext.get::<ConnInfo>().or_else(|| {
            self.ext
                .get::<TlsConnectInfo<ConnInfo>>()
                .map(TlsConnectInfo::get_ref)
        })
    }
}

/// The Milvus status code of a reply, for the record.
pub(crate) trait HasStatus {
    fn status_code(&self) -> Option<i32>;
}

impl HasStatus for MilvusStatus {
    fn status_code(&self) -> Option<i32> {
        Some(self.code)
    }
}

macro_rules! has_status {
    ($($t:ty),*) => {$(
        impl HasStatus for $t {
            fn status_code(&self) -> Option<i32> {
                self.status.as_ref().map(|s| s.code)
            }
        }
    )*};
}

has_status!(
    ConnectResponse,
    GetVersionResponse,
    CheckHealthResponse,
    ListSnapshotsResponse,
    DescribeSnapshotResponse,
    RestoreSnapshotResponse,
    GetRestoreSnapshotStateResponse,
    ListRestoreSnapshotJobsResponse,
    PinSnapshotDataResponse
);

pub(crate) fn status_of(result: Result<(), MilvusError>) -> MilvusStatus {
    match result {
        Ok(()) => success(),
        Err(e) => e.to_status(),
    }
}

impl Sim {
    pub fn from_args(args: &ServeArgs) -> Result<Self, BoxError> {
        let timing = Timing {
            tick_ms: args.tick_ms,
            restore_ms: args.restore_ms,
            segments: args.segments,
            retention_ms: args.job_retention_ms,
        };
        let fixtures = fixtures::Source::new(args.fixtures.clone(), args.fixtures_reload)?;
        let recorder = match &args.record {
            Some(path) => Some(Arc::new(Recorder::create(path).map_err(|e| {
                format!("cannot create record file {}: {e}", path.display())
            })?)),
            None => None,
        };
        for user in &args.auth {
            if !user.contains(':') {
                return Err(format!("--auth expects USER:PASSWORD, got {user:?}").into());
            }
        }
        Ok(Sim {
            store: Store::new(
                timing,
                &args.seeded_collections()?,
                args.failing_snapshots(),
            ),
            fixtures,
            users: args.auth.iter().cloned().collect(),
            recorder,
        })
    }

    pub fn into_server(self) -> MilvusServiceServer<Sim> {
        MilvusServiceServer::new(self)
    }

    fn authenticate(&self, meta: &MetadataMap) -> Result<(), Status> {
        if self.users.is_empty() {
            return Ok(());
        }
        let Some(value) = meta.get("authorization") else {
            return Err(Status::unauthenticated("missing authorization in header"));
        };
        let known = value
            .to_str()
            .ok()
            .and_then(|v| {
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()
            })
            .and_then(|raw| String::from_utf8(raw).ok())
            .is_some_and(|cred| self.users.contains(&cred));
        if known {
            Ok(())
        } else {
            Err(Status::unauthenticated(
                "auth check failure, please check username and password are correct",
            ))
        }
    }

    pub(crate) async fn call<Q, R>(
        &self,
        method: &'static str,
        request: Request<Q>,
        handler: impl FnOnce(&Self, &Ctx, Q) -> Plan<R>,
    ) -> Result<Response<R>, Status>
    where
        Q: ToRecord,
        R: HasStatus + Default,
    {
        let (meta, ext, message) = request.into_parts();
        let record = self
            .recorder
            .as_ref()
            .map(|r| r.begin(method, &meta, message.to_record()));
        if let Err(status) = self.authenticate(&meta) {
            if let Some(record) = record {
                record.finish(&format!("grpc:{}", status.code() as i32), None);
            }
            return Err(status);
        }
        let ctx = Ctx { meta, ext };
        let plan = match self.method_fixture(method) {
            Ok(Some(Plan {
                delay,
                action: Action::Reply(()),
            })) => Plan {
                delay,
                ..handler(self, &ctx, message)
            },
            Ok(Some(Plan { delay, action })) => Plan {
                delay,
                action: action.retype(),
            },
            Ok(None) => handler(self, &ctx, message),
            Err(e) => Plan {
                delay: None,
                action: Action::Fail(Status::internal(e)),
            },
        };
        if let Some(delay) = plan.delay {
            // If the client resets the stream meanwhile, this future is dropped and the record
            // guard writes `cancelled`.
            tokio::time::sleep(delay).await;
        }
        match plan.action {
            Action::Reply(r) => {
                if let Some(record) = record {
                    record.finish("ok", r.status_code());
                }
                Ok(Response::new(r))
            }
            Action::Fail(status) => {
                if let Some(record) = record {
                    record.finish(&format!("grpc:{}", status.code() as i32), None);
                }
                Err(status)
            }
            Action::Drop => {
                if let Some(record) = record {
                    record.finish("dropped", None);
                }
                if let Some(conn) = ctx.conn() {
                    conn.handle.kill();
                }
                // The connection is going away; this future is dropped with it. Bounded anyway.
                tokio::time::sleep(Duration::from_secs(5)).await;
                Err(Status::unavailable("connection dropped"))
            }
            Action::Reset => {
                if let Some(record) = record {
                    record.finish("reset", None);
                }
                let mut response = Response::new(R::default());
                response.extensions_mut().insert(ResetStream);
                Ok(response)
            }
            Action::Raw(bytes) => {
                if let Some(record) = record {
                    record.finish("raw", None);
                }
                let mut response = Response::new(R::default());
                response.extensions_mut().insert(RawBody(bytes));
                Ok(response)
            }
        }
    }

    pub(crate) fn snapshot_ref<'a>(
        ctx: &'a Ctx,
        db: &'a str,
        collection: &'a str,
        name: &'a str,
    ) -> SnapshotRef<'a> {
        SnapshotRef {
            db: ctx.db(db),
            collection,
            name,
        }
    }

    /// A fault scripted for every call of `method`; `Reply(())`: answer as usual (after the
    /// delay, if any).
    fn method_fixture(&self, method: &str) -> Result<Option<Plan<()>>, String> {
        let fixtures = self.fixtures.get()?;
        Ok(fixtures.methods.get(method).map(|fixture| {
            let (delay, scripted) = fixture.attempt();
            Plan {
                delay,
                action: action(scripted, |_| ()),
            }
        }))
    }

    pub(crate) fn restore_state(&self, job_id: i64) -> Plan<GetRestoreSnapshotStateResponse> {
        let fixtures = match self.fixtures.get() {
            Ok(f) => f,
            Err(e) => {
                return Plan {
                    delay: None,
                    action: Action::Fail(Status::internal(e)),
                }
            }
        };
        if let Some(fixture) = fixtures.jobs.get(&job_id) {
            let (delay, scripted) = fixture.attempt();
            return Plan {
                delay,
                action: action(scripted, Clone::clone),
            };
        }
        reply(match self.store.restore_state(job_id) {
            Ok(info) => GetRestoreSnapshotStateResponse {
                status: Some(success()),
                info: Some(info),
            },
            Err(e) => GetRestoreSnapshotStateResponse {
                status: Some(e.to_status()),
                info: None,
            },
        })
    }
}

fn action<R>(
    scripted: Scripted<'_>,
    reply: impl FnOnce(&GetRestoreSnapshotStateResponse) -> R,
) -> Action<R> {
    match scripted {
        Scripted::Reply(r) => Action::Reply(reply(r)),
        Scripted::Fail(status) => Action::Fail(status),
        Scripted::Drop => Action::Drop,
        Scripted::Reset => Action::Reset,
        Scripted::Raw(bytes) => Action::Raw(bytes),
    }
}

impl Action<()> {
    /// A scripted action that is not a reply, for a handler of any reply type.
    fn retype<R>(self) -> Action<R> {
        match self {
            Action::Reply(()) => unreachable!("replies run the handler"),
            Action::Fail(status) => Action::Fail(status),
            Action::Drop => Action::Drop,
            Action::Reset => Action::Reset,
            Action::Raw(bytes) => Action::Raw(bytes),
        }
    }
}
