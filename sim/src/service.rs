//! The MilvusService implementation: every RPC goes through [`Sim::call`], which records the
//! attempt, checks auth, runs the handler and applies any scripted delay, fault or drop.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tonic::codegen::Bytes;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TlsConnectInfo;
use tonic::{Extensions, Request, Response, Status};

use crate::config::ServeArgs;
use crate::fixtures::{self, Fixtures, Scripted};
use crate::jobs::Timing;
use crate::net::ConnInfo;
use crate::pb::common::{ServerInfo, Status as MilvusStatus};
use crate::pb::milvus::milvus_service_server::{MilvusService, MilvusServiceServer};
use crate::pb::milvus::*;
use crate::record::{Recorder, ToRecord};
use crate::status::{success, MilvusError};
use crate::store::{RestoreTarget, SnapshotRef, Store};
use crate::unary::{RawBody, ResetStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Sim {
    store: Store,
    fixtures: Fixtures,
    /// Accepted `user:password` pairs; empty: auth off.
    users: HashSet<String>,
    recorder: Option<Arc<Recorder>>,
}

/// What a handler decided: reply, fail with a gRPC status, or drop the connection.
enum Action<R> {
    Reply(R),
    Fail(Status),
    Drop,
    /// Reset the HTTP/2 stream (done by [`crate::unary::UnaryWire`]).
    Reset,
    /// Send these bytes as the response body (done by [`crate::unary::UnaryWire`]).
    Raw(Bytes),
}

struct Plan<R> {
    delay: Option<Duration>,
    action: Action<R>,
}

fn reply<R>(r: R) -> Plan<R> {
    Plan {
        delay: None,
        action: Action::Reply(r),
    }
}

/// The request's headers and connection, for handlers that need them.
struct Ctx {
    meta: MetadataMap,
    ext: Extensions,
}

impl Ctx {
    /// The request's `db_name` when non-empty, else the `dbname` header, else `default`.
    fn db<'a>(&'a self, field: &'a str) -> &'a str {
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
trait HasStatus {
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

fn status_of(result: Result<(), MilvusError>) -> MilvusStatus {
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
        let fixtures = match &args.fixtures {
            Some(path) => fixtures::load(path)?,
            None => Fixtures::new(),
        };
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

    async fn call<Q, R>(
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
        let plan = handler(self, &ctx, message);
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

    fn snapshot_ref<'a>(
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

    fn restore_state(&self, job_id: i64) -> Plan<GetRestoreSnapshotStateResponse> {
        if let Some(fixture) = self.fixtures.get(&job_id) {
            let (delay, scripted) = fixture.attempt();
            let action = match scripted {
                Scripted::Reply(r) => Action::Reply(r.clone()),
                Scripted::Fail(status) => Action::Fail(status),
                Scripted::Drop => Action::Drop,
                Scripted::Reset => Action::Reset,
                Scripted::Raw(bytes) => Action::Raw(bytes),
            };
            return Plan { delay, action };
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

#[tonic::async_trait]
impl MilvusService for Sim {
    async fn connect(
        &self,
        request: Request<ConnectRequest>,
    ) -> Result<Response<ConnectResponse>, Status> {
        self.call("Connect", request, |sim, _, _| {
            reply(ConnectResponse {
                status: Some(success()),
                server_info: Some(ServerInfo {
                    build_tags: "milvus-sim".into(),
                    build_time: "milvus-sim".into(),
                    git_commit: "milvus-sim".into(),
                    go_version: concat!("milvus-sim ", env!("CARGO_PKG_VERSION")).into(),
                    deploy_mode: "STANDALONE".into(),
                    reserved: Default::default(),
                }),
                identifier: sim.store.next_id(),
            })
        })
        .await
    }

    async fn get_version(
        &self,
        request: Request<GetVersionRequest>,
    ) -> Result<Response<GetVersionResponse>, Status> {
        self.call("GetVersion", request, |_, _, _| {
            reply(GetVersionResponse {
                status: Some(success()),
                version: "v3.0.0".into(),
            })
        })
        .await
    }

    async fn check_health(
        &self,
        request: Request<CheckHealthRequest>,
    ) -> Result<Response<CheckHealthResponse>, Status> {
        self.call("CheckHealth", request, |_, _, _| {
            reply(CheckHealthResponse {
                status: Some(success()),
                is_healthy: true,
                ..Default::default()
            })
        })
        .await
    }

    async fn create_snapshot(
        &self,
        request: Request<CreateSnapshotRequest>,
    ) -> Result<Response<MilvusStatus>, Status> {
        self.call("CreateSnapshot", request, |sim, ctx, r| {
            let snap = Self::snapshot_ref(ctx, &r.db_name, &r.collection_name, &r.name);
            reply(status_of(sim.store.create_snapshot(
                &snap,
                &r.description,
                r.compaction_protection_seconds,
            )))
        })
        .await
    }

    async fn drop_snapshot(
        &self,
        request: Request<DropSnapshotRequest>,
    ) -> Result<Response<MilvusStatus>, Status> {
        self.call("DropSnapshot", request, |sim, ctx, r| {
            let snap = Self::snapshot_ref(ctx, &r.db_name, &r.collection_name, &r.name);
            reply(status_of(sim.store.drop_snapshot(&snap)))
        })
        .await
    }

    async fn list_snapshots(
        &self,
        request: Request<ListSnapshotsRequest>,
    ) -> Result<Response<ListSnapshotsResponse>, Status> {
        self.call("ListSnapshots", request, |sim, ctx, r| {
            reply(
                match sim
                    .store
                    .list_snapshots(ctx.db(&r.db_name), &r.collection_name)
                {
                    Ok(snapshots) => ListSnapshotsResponse {
                        status: Some(success()),
                        snapshots,
                    },
                    Err(e) => ListSnapshotsResponse {
                        status: Some(e.to_status()),
                        ..Default::default()
                    },
                },
            )
        })
        .await
    }

    async fn describe_snapshot(
        &self,
        request: Request<DescribeSnapshotRequest>,
    ) -> Result<Response<DescribeSnapshotResponse>, Status> {
        self.call("DescribeSnapshot", request, |sim, ctx, r| {
            let snap = Self::snapshot_ref(ctx, &r.db_name, &r.collection_name, &r.name);
            reply(match sim.store.describe_snapshot(&snap) {
                Ok(s) => DescribeSnapshotResponse {
                    status: Some(success()),
                    name: s.name,
                    description: s.description,
                    collection_name: s.collection_name,
                    partition_names: s.partition_names,
                    create_ts: s.create_ts,
                    s3_location: s.s3_location,
                },
                Err(e) => DescribeSnapshotResponse {
                    status: Some(e.to_status()),
                    ..Default::default()
                },
            })
        })
        .await
    }

    async fn restore_snapshot(
        &self,
        request: Request<RestoreSnapshotRequest>,
    ) -> Result<Response<RestoreSnapshotResponse>, Status> {
        self.call("RestoreSnapshot", request, |sim, ctx, r| {
            let source = Self::snapshot_ref(ctx, &r.db_name, &r.collection_name, &r.name);
            let target = RestoreTarget {
                db: if r.target_db_name.is_empty() {
                    source.db
                } else {
                    &r.target_db_name
                },
                collection: &r.target_collection_name,
            };
            reply(match sim.store.restore_snapshot(&source, &target) {
                Ok(job_id) => RestoreSnapshotResponse {
                    status: Some(success()),
                    job_id,
                },
                Err(e) => RestoreSnapshotResponse {
                    status: Some(e.to_status()),
                    job_id: 0,
                },
            })
        })
        .await
    }

    async fn get_restore_snapshot_state(
        &self,
        request: Request<GetRestoreSnapshotStateRequest>,
    ) -> Result<Response<GetRestoreSnapshotStateResponse>, Status> {
        self.call("GetRestoreSnapshotState", request, |sim, _, r| {
            sim.restore_state(r.job_id)
        })
        .await
    }

    async fn list_restore_snapshot_jobs(
        &self,
        request: Request<ListRestoreSnapshotJobsRequest>,
    ) -> Result<Response<ListRestoreSnapshotJobsResponse>, Status> {
        self.call("ListRestoreSnapshotJobs", request, |sim, _, r| {
            reply(ListRestoreSnapshotJobsResponse {
                status: Some(success()),
                jobs: sim.store.list_jobs(&r.db_name, &r.collection_name),
            })
        })
        .await
    }

    async fn pin_snapshot_data(
        &self,
        request: Request<PinSnapshotDataRequest>,
    ) -> Result<Response<PinSnapshotDataResponse>, Status> {
        self.call("PinSnapshotData", request, |sim, ctx, r| {
            let snap = Self::snapshot_ref(ctx, &r.db_name, &r.collection_name, &r.name);
            reply(match sim.store.pin(&snap, r.ttl_seconds) {
                Ok(pin_id) => PinSnapshotDataResponse {
                    status: Some(success()),
                    pin_id,
                },
                Err(e) => PinSnapshotDataResponse {
                    status: Some(e.to_status()),
                    pin_id: 0,
                },
            })
        })
        .await
    }

    async fn unpin_snapshot_data(
        &self,
        request: Request<UnpinSnapshotDataRequest>,
    ) -> Result<Response<MilvusStatus>, Status> {
        self.call("UnpinSnapshotData", request, |sim, _, r| {
            sim.store.unpin(r.pin_id);
            reply(success())
        })
        .await
    }
}
