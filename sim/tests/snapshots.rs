//! SPEC §6 semantics of the snapshot RPCs, over the wire.

mod common;

use std::time::{Duration, Instant};

use common::{with_headers, Client, Sim};
use milvus_sim::pb::common::{ErrorCode, Status};
use milvus_sim::pb::milvus::*;

const FAST: &[&str] = &[
    "--collection",
    "default/books",
    "--collection",
    "db1/c1",
    "--tick-ms",
    "300",
    "--restore-ms",
    "600",
    "--segments",
    "3",
];

fn assert_input_error(s: &Status, code: i32, error_code: ErrorCode, reason: &str) {
    assert_eq!(s.code, code, "{s:?}");
    assert_eq!(s.error_code, error_code as i32, "{s:?}");
    assert_eq!(s.reason, reason);
    assert_eq!(s.detail, reason);
    assert!(!s.retriable);
    assert_eq!(
        s.extra_info.get("is_input_error").map(String::as_str),
        Some("true")
    );
}

fn assert_ok(s: &Status) {
    assert_eq!(
        (s.code, s.error_code, s.reason.as_str()),
        (0, 0, ""),
        "{s:?}"
    );
}

fn snap(name: &str) -> CreateSnapshotRequest {
    CreateSnapshotRequest {
        name: name.into(),
        collection_name: "books".into(),
        ..Default::default()
    }
}

async fn state(c: &mut Client, job_id: i64) -> GetRestoreSnapshotStateResponse {
    c.get_restore_snapshot_state(GetRestoreSnapshotStateRequest {
        job_id,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn handshake_version_health() {
    let sim = Sim::start(&[]);
    let mut c = sim.client().await;
    let a = c
        .connect(ConnectRequest::default())
        .await
        .unwrap()
        .into_inner();
    let b = c
        .connect(ConnectRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_ok(a.status.as_ref().unwrap());
    assert_ne!(a.identifier, 0);
    assert_ne!(a.identifier, b.identifier);
    let info = a.server_info.unwrap();
    assert_eq!(info.deploy_mode, "STANDALONE");
    assert!(!info.build_tags.is_empty() && !info.go_version.is_empty());

    let v = c
        .get_version(GetVersionRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_ok(v.status.as_ref().unwrap());
    assert!(v.version.starts_with("v3."));
    let h = c
        .check_health(CheckHealthRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(h.is_healthy);
}

#[tokio::test]
async fn lifecycle_with_progressing_restore() {
    let sim = Sim::start(FAST);
    let mut c = sim.client().await;

    let req = CreateSnapshotRequest {
        description: "nightly".into(),
        compaction_protection_seconds: 3600,
        ..snap("s1")
    };
    assert_ok(&c.create_snapshot(req).await.unwrap().into_inner());
    let listed = c
        .list_snapshots(ListSnapshotsRequest {
            collection_name: "books".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots, vec!["s1"]);

    let d = c
        .describe_snapshot(DescribeSnapshotRequest {
            name: "s1".into(),
            collection_name: "books".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_ok(d.status.as_ref().unwrap());
    assert_eq!((d.name.as_str(), d.description.as_str()), ("s1", "nightly"));
    assert_eq!(d.collection_name, "books");
    assert!(d.create_ts > 0 && !d.s3_location.is_empty());

    let before = milvus_sim::now_ms();
    let r = c
        .restore_snapshot(RestoreSnapshotRequest {
            name: "s1".into(),
            collection_name: "books".into(),
            target_collection_name: "books_copy".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_ok(r.status.as_ref().unwrap());
    assert!(r.job_id > 0);

    // The job exists as soon as the reply is sent.
    let first = state(&mut c, r.job_id).await;
    assert_ok(first.status.as_ref().unwrap());
    let info = first.info.unwrap();
    assert_eq!(info.job_id, r.job_id);
    assert_eq!(
        info.state,
        RestoreSnapshotState::RestoreSnapshotPending as i32
    );
    assert_eq!((info.progress, info.time_cost), (0, 0));
    assert_eq!(info.snapshot_name, "s1");
    assert_eq!(
        (info.db_name.as_str(), info.collection_name.as_str()),
        ("default", "books_copy")
    );
    assert!(info.start_time >= before && info.start_time <= milvus_sim::now_ms());

    let mut seen = vec![info.state];
    let deadline = Instant::now() + Duration::from_secs(5);
    let done = loop {
        let info = state(&mut c, r.job_id).await.info.unwrap();
        if seen.last() != Some(&info.state) {
            seen.push(info.state);
        }
        if info.state == RestoreSnapshotState::RestoreSnapshotExecuting as i32 {
            assert!(info.progress < 100 && info.time_cost == 0);
        }
        if info.state == RestoreSnapshotState::RestoreSnapshotCompleted as i32 {
            break info;
        }
        assert!(
            Instant::now() < deadline,
            "restore never completed: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(seen, vec![1, 2, 3]);
    assert_eq!((done.progress, done.time_cost), (100, 900));

    let all = c
        .list_restore_snapshot_jobs(ListRestoreSnapshotJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_ok(all.status.as_ref().unwrap());
    assert_eq!(all.jobs.len(), 1);
    let filtered = |db: &str, coll: &str| ListRestoreSnapshotJobsRequest {
        db_name: db.into(),
        collection_name: coll.into(),
        ..Default::default()
    };
    let jobs = |r: ListRestoreSnapshotJobsResponse| r.jobs.len();
    let n = |req| {
        let mut c = c.clone();
        async move {
            jobs(
                c.list_restore_snapshot_jobs(req)
                    .await
                    .unwrap()
                    .into_inner(),
            )
        }
    };
    assert_eq!(n(filtered("default", "books_copy")).await, 1);
    assert_eq!(n(filtered("", "books_copy")).await, 1);
    assert_eq!(n(filtered("", "books")).await, 0);
    assert_eq!(n(filtered("db1", "")).await, 0);

    let pin = c
        .pin_snapshot_data(PinSnapshotDataRequest {
            name: "s1".into(),
            collection_name: "books".into(),
            ttl_seconds: 600,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_ok(pin.status.as_ref().unwrap());
    assert!(pin.pin_id > 0);
    let unpin = |pin_id| UnpinSnapshotDataRequest {
        pin_id,
        ..Default::default()
    };
    assert_ok(
        &c.unpin_snapshot_data(unpin(pin.pin_id))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_ok(
        &c.unpin_snapshot_data(unpin(pin.pin_id))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_ok(
        &c.unpin_snapshot_data(unpin(424242))
            .await
            .unwrap()
            .into_inner(),
    );

    let drop = || DropSnapshotRequest {
        name: "s1".into(),
        collection_name: "books".into(),
        ..Default::default()
    };
    assert_ok(&c.drop_snapshot(drop()).await.unwrap().into_inner());
    assert_ok(&c.drop_snapshot(drop()).await.unwrap().into_inner());
    let listed = c
        .list_snapshots(ListSnapshotsRequest {
            collection_name: "books".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.snapshots.is_empty());
}

#[tokio::test]
async fn input_errors() {
    let sim = Sim::start(FAST);
    let mut c = sim.client().await;
    let empty = "snapshot name should be not empty: invalid parameter[expected=not empty][actual=]";

    let s = c.create_snapshot(snap("")).await.unwrap().into_inner();
    assert_input_error(&s, 1100, ErrorCode::IllegalArgument, empty);
    let s = c
        .create_snapshot(CreateSnapshotRequest {
            compaction_protection_seconds: 604_801,
            ..snap("x")
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.code, 1100);
    let s = c
        .create_snapshot(CreateSnapshotRequest {
            compaction_protection_seconds: 604_800,
            ..snap("s1")
        })
        .await
        .unwrap()
        .into_inner();
    assert_ok(&s);
    let s = c.create_snapshot(snap("s1")).await.unwrap().into_inner();
    assert_input_error(
        &s,
        1100,
        ErrorCode::IllegalArgument,
        "snapshot name s1 already exists",
    );
    let s = c
        .create_snapshot(CreateSnapshotRequest {
            collection_name: "nope".into(),
            ..snap("s2")
        })
        .await
        .unwrap()
        .into_inner();
    assert_input_error(
        &s,
        100,
        ErrorCode::CollectionNotExists,
        "collection not found[database=default][collection=nope]",
    );

    let restore = |name: &str, source: &str, target: &str| RestoreSnapshotRequest {
        name: name.into(),
        collection_name: source.into(),
        target_collection_name: target.into(),
        ..Default::default()
    };
    let r = c
        .restore_snapshot(restore("", "books", "t"))
        .await
        .unwrap()
        .into_inner();
    assert_input_error(
        r.status.as_ref().unwrap(),
        1100,
        ErrorCode::IllegalArgument,
        empty,
    );
    assert_eq!(r.job_id, 0);
    let r = c
        .restore_snapshot(restore("s1", "nope", "t"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.as_ref().unwrap().code, 100);
    assert_eq!(
        r.status.unwrap().reason,
        "collection not found[database=default][collection=nope]"
    );
    let r = c
        .restore_snapshot(restore("ghost", "books", "t"))
        .await
        .unwrap()
        .into_inner();
    let s = r.status.unwrap();
    assert_ne!(s.code, 0);
    assert!(s.reason.contains("snapshot not found"), "{}", s.reason);
    let r = c
        .restore_snapshot(restore("s1", "books", "books"))
        .await
        .unwrap()
        .into_inner();
    assert_input_error(
        r.status.as_ref().unwrap(),
        1100,
        ErrorCode::IllegalArgument,
        "target collection books already exists in database default",
    );
    // A restore creates its target: restoring onto it again is refused.
    let r = c
        .restore_snapshot(restore("s1", "books", "t"))
        .await
        .unwrap()
        .into_inner();
    assert_ok(r.status.as_ref().unwrap());
    let r = c
        .restore_snapshot(restore("s1", "books", "t"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.status.unwrap().reason,
        "target collection t already exists in database default"
    );

    let d = c
        .describe_snapshot(DescribeSnapshotRequest {
            name: "ghost".into(),
            collection_name: "books".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(d.status.unwrap().reason.contains("snapshot not found"));
    assert!(d.name.is_empty());

    let pin = |name: &str, ttl| PinSnapshotDataRequest {
        name: name.into(),
        collection_name: "books".into(),
        ttl_seconds: ttl,
        ..Default::default()
    };
    for ttl in [-1, 2_592_001] {
        let p = c
            .pin_snapshot_data(pin("s1", ttl))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((p.status.unwrap().code, p.pin_id), (1100, 0));
    }
    let p = c
        .pin_snapshot_data(pin("s1", 2_592_000))
        .await
        .unwrap()
        .into_inner();
    assert_ok(p.status.as_ref().unwrap());
    let p = c
        .pin_snapshot_data(pin("ghost", 10))
        .await
        .unwrap()
        .into_inner();
    assert!(p.status.unwrap().reason.contains("snapshot not found"));

    let l = c
        .list_snapshots(ListSnapshotsRequest {
            collection_name: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(l.status.unwrap().code, 100);
}

#[tokio::test]
async fn unknown_jobs() {
    let sim = Sim::start(FAST);
    let mut c = sim.client().await;
    for id in [0, -1, 12345, i64::MAX, i64::MIN] {
        let r = state(&mut c, id).await;
        assert!(r.info.is_none());
        let s = r.status.unwrap();
        assert_eq!(s.code, 2101);
        assert_eq!(s.error_code, ErrorCode::UnexpectedError as i32);
        assert_eq!(
            s.reason,
            format!("restore job not found: jobID={id}: importing data failed on server side")
        );
        assert_eq!(s.detail, s.reason);
    }
}

#[tokio::test]
async fn dbname_header_and_db_name_field() {
    let sim = Sim::start(FAST);
    let mut c = sim.client().await;
    let req = || CreateSnapshotRequest {
        name: "s".into(),
        collection_name: "c1".into(),
        ..Default::default()
    };
    let s = c.create_snapshot(req()).await.unwrap().into_inner();
    assert_eq!(
        s.reason,
        "collection not found[database=default][collection=c1]"
    );
    let s = c
        .create_snapshot(with_headers(req(), &[("dbname", "db1")]))
        .await
        .unwrap()
        .into_inner();
    assert_ok(&s);
    // The field overrides the header.
    let s = c
        .create_snapshot(with_headers(
            CreateSnapshotRequest {
                db_name: "default".into(),
                ..req()
            },
            &[("dbname", "db1")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.code, 100);

    // Restore into another database: the job names the target.
    let r = c
        .restore_snapshot(with_headers(
            RestoreSnapshotRequest {
                name: "s".into(),
                collection_name: "c1".into(),
                target_db_name: "default".into(),
                target_collection_name: "c1_restored".into(),
                ..Default::default()
            },
            &[("dbname", "db1")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_ok(r.status.as_ref().unwrap());
    let info = state(&mut c, r.job_id).await.info.unwrap();
    assert_eq!(
        (info.db_name.as_str(), info.collection_name.as_str()),
        ("default", "c1_restored")
    );
    let jobs = c
        .list_restore_snapshot_jobs(ListRestoreSnapshotJobsRequest {
            db_name: "db1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(jobs.jobs.is_empty());
}

#[tokio::test]
async fn injected_failures_and_retention() {
    let sim = Sim::start(&[
        "--collection",
        "books",
        "--tick-ms",
        "0",
        "--restore-ms",
        "50",
        "--fail-snapshot",
        "bad",
        "--fail-snapshot",
        "slow=timeout",
        "--job-retention-ms",
        "1000",
    ]);
    let mut c = sim.client().await;
    let job = |name: &'static str, target: &'static str| {
        let mut c = c.clone();
        async move {
            c.create_snapshot(snap(name)).await.unwrap();
            let r = c
                .restore_snapshot(RestoreSnapshotRequest {
                    name: name.into(),
                    collection_name: "books".into(),
                    target_collection_name: target.into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            r.job_id
        }
    };
    let bad = job("bad", "t1").await;
    let slow = job("slow", "t2").await;
    let good = job("good", "t3").await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let info = state(&mut c, bad).await.info.unwrap();
    assert_eq!(
        info.state,
        RestoreSnapshotState::RestoreSnapshotFailed as i32
    );
    assert_eq!(
        (info.reason.as_str(), info.time_cost),
        ("1/3 tasks failed", 0)
    );
    let info = state(&mut c, slow).await.info.unwrap();
    assert_eq!((info.state, info.reason.as_str()), (4, "timeout"));
    let info = state(&mut c, good).await.info.unwrap();
    assert_eq!((info.state, info.time_cost), (3, 50));

    // Finished jobs are forgotten after the retention.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(state(&mut c, good).await.status.unwrap().code, 2101);
    let all = c
        .list_restore_snapshot_jobs(ListRestoreSnapshotJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(all.jobs.is_empty());
}
