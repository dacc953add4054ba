//! The MilvusService RPCs: each maps its request onto the store and its result onto the reply.

use tonic::{Request, Response, Status};

use crate::collections;
use crate::pb::common::{ServerInfo, Status as MilvusStatus};
use crate::pb::milvus::milvus_service_server::MilvusService;
use crate::pb::milvus::*;
use crate::service::{reply, status_of, Sim};
use crate::status::success;
use crate::store::RestoreTarget;

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

    // The collection RPCs (sim/proto/collections.proto): see collections.rs.

    async fn has_collection(
        &self,
        request: Request<HasCollectionRequest>,
    ) -> Result<Response<BoolResponse>, Status> {
        self.call("HasCollection", request, collections::has).await
    }

    async fn show_collections(
        &self,
        request: Request<ShowCollectionsRequest>,
    ) -> Result<Response<ShowCollectionsResponse>, Status> {
        self.call("ShowCollections", request, collections::show)
            .await
    }

    async fn describe_collection(
        &self,
        request: Request<DescribeCollectionRequest>,
    ) -> Result<Response<DescribeCollectionResponse>, Status> {
        self.call("DescribeCollection", request, collections::describe)
            .await
    }

    async fn drop_collection(
        &self,
        request: Request<DropCollectionRequest>,
    ) -> Result<Response<MilvusStatus>, Status> {
        self.call("DropCollection", request, collections::drop)
            .await
    }
}
