//! Fixtures, faults, the record file, auth, TLS and process lifecycle.

mod common;

use std::time::{Duration, Instant};

use common::{with_headers, Sim};
use milvus_sim::pb::milvus::milvus_service_client::MilvusServiceClient;
use milvus_sim::pb::milvus::*;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::Code;

const FIXTURES: &str = r#"{
  "4471": {"info": {"job_id": "4471", "state": 7, "progress": 50,
                    "start_time": "18446744073709551615", "time_cost": 18446744073709551615}},
  "-9223372036854775808": {"status": {"code": 2101, "reason": "gone", "error_code": "UnexpectedError",
                    "retriable": true, "detail": "d", "extra_info": {"k": "v"}}},
  "10": {"fault": {"code": 14, "message": "try again", "fail_times": 2,
                   "metadata": {"x-reason": "maintenance"}},
         "info": {"state": "RestoreSnapshotCompleted", "progress": 100}},
  "11": {"fault": {"delay_ms": 300}, "info": {"state": 2}},
  "12": {"fault": {"drop": true, "fail_times": 1}, "info": {"state": 3}},
  "13": {"fault": {"code": 4, "message": "slow", "delay_ms": 100}}
}"#;

async fn get(
    c: &mut MilvusServiceClient<Channel>,
    job_id: i64,
) -> Result<GetRestoreSnapshotStateResponse, tonic::Status> {
    c.get_restore_snapshot_state(GetRestoreSnapshotStateRequest {
        job_id,
        ..Default::default()
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn scripted_replies() {
    let sim = Sim::with_fixtures(FIXTURES, &[]);
    let mut c = sim.client().await;

    let r = get(&mut c, 4471).await.unwrap();
    assert_eq!(r.status.unwrap().code, 0);
    let i = r.info.unwrap();
    assert_eq!((i.job_id, i.state, i.progress), (4471, 7, 50));
    assert_eq!((i.start_time, i.time_cost), (u64::MAX, u64::MAX));

    let r = get(&mut c, i64::MIN).await.unwrap();
    assert!(r.info.is_none());
    let s = r.status.unwrap();
    assert_eq!((s.code, s.error_code, s.retriable), (2101, 1, true));
    assert_eq!((s.reason.as_str(), s.detail.as_str()), ("gone", "d"));
    assert_eq!(s.extra_info.get("k").map(String::as_str), Some("v"));
}

#[tokio::test]
async fn faults_fail_times_delay_and_drop() {
    let sim = Sim::with_fixtures(FIXTURES, &[]);
    let mut c = sim.client().await;

    for _ in 0..2 {
        let e = get(&mut c, 10).await.unwrap_err();
        assert_eq!((e.code(), e.message()), (Code::Unavailable, "try again"));
        assert_eq!(e.metadata().get("x-reason").unwrap(), "maintenance");
    }
    assert_eq!(get(&mut c, 10).await.unwrap().info.unwrap().state, 3);
    // Counting is per job id, across connections.
    let mut other = sim.client().await;
    assert_eq!(
        get(&mut other, 10).await.unwrap().info.unwrap().progress,
        100
    );

    let t = Instant::now();
    assert_eq!(get(&mut c, 11).await.unwrap().info.unwrap().state, 2);
    assert!(t.elapsed() >= Duration::from_millis(300));

    let t = Instant::now();
    let e = get(&mut c, 13).await.unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded);
    assert!(t.elapsed() >= Duration::from_millis(100));

    let e = get(&mut c, 12).await.unwrap_err();
    assert!(
        matches!(
            e.code(),
            Code::Unavailable | Code::Unknown | Code::Internal | Code::Cancelled
        ),
        "{e:?}"
    );
    // The channel reconnects; the fault is spent.
    let mut retry = None;
    for _ in 0..20 {
        match get(&mut c, 12).await {
            Ok(r) => {
                retry = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert_eq!(retry.expect("reconnected").info.unwrap().state, 3);
}

#[tokio::test]
async fn records_every_attempt() {
    let dir = common::scratch();
    let fixtures = dir.join("fixtures.json");
    std::fs::write(&fixtures, FIXTURES).unwrap();
    let record = dir.join("record.jsonl");
    let sim = Sim::start_in(
        dir.clone(),
        &[
            "--fixtures",
            fixtures.to_str().unwrap(),
            "--record",
            record.to_str().unwrap(),
            "--auth",
            "root:Milvus",
        ],
    );
    let mut c = sim.client().await;
    let auth = "cm9vdDpNaWx2dXM="; // base64("root:Milvus")

    let mut req = with_headers(
        GetRestoreSnapshotStateRequest {
            job_id: 4471,
            ..Default::default()
        },
        &[
            ("authorization", auth),
            ("dbname", "db1"),
            ("identifier", "77"),
            ("client-request-unixmsec", "1760000000000"),
            ("client-request-id", "trace-1"),
        ],
    );
    req.set_timeout(Duration::from_secs(5));
    let before = milvus_sim::now_ms();
    c.get_restore_snapshot_state(req).await.unwrap();
    let e = get(&mut c, 4471).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    c.get_restore_snapshot_state(with_headers(
        GetRestoreSnapshotStateRequest {
            job_id: 10,
            ..Default::default()
        },
        &[("authorization", auth)],
    ))
    .await
    .unwrap_err();
    c.get_restore_snapshot_state(with_headers(
        GetRestoreSnapshotStateRequest {
            job_id: -3,
            ..Default::default()
        },
        &[("authorization", auth)],
    ))
    .await
    .unwrap();
    // The client gives up before the scripted delay ends: the attempt is `cancelled`.
    let mut slow = with_headers(
        GetRestoreSnapshotStateRequest {
            job_id: 11,
            ..Default::default()
        },
        &[("authorization", auth)],
    );
    slow.set_timeout(Duration::from_millis(50));
    assert!(c.get_restore_snapshot_state(slow).await.is_err());
    c.pin_snapshot_data(with_headers(
        PinSnapshotDataRequest {
            ttl_seconds: 9_000_000_000,
            ..Default::default()
        },
        &[("authorization", auth)],
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let lines = sim.records();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let first = &lines[0];
    assert_eq!(first["method"], "GetRestoreSnapshotState");
    assert_eq!(first["request"]["job_id"], "4471");
    assert_eq!(first["outcome"], "ok");
    assert_eq!(first["status_code"], 0);
    let h = &first["headers"];
    assert_eq!(h["authorization"], auth);
    assert_eq!(h["dbname"], "db1");
    assert_eq!(h["identifier"], "77");
    assert_eq!(h["client-request-unixmsec"], "1760000000000");
    assert_eq!(h["client-request-id"], "trace-1");
    assert!(h["grpc-timeout"].as_str().is_some(), "{h}");
    let t = first["t_ms"].as_u64().unwrap();
    assert!(t >= before && t <= milvus_sim::now_ms());

    assert_eq!(lines[1]["outcome"], "grpc:16");
    assert!(lines[1].get("status_code").is_none());
    assert_eq!(lines[2]["outcome"], "grpc:14");
    assert_eq!(
        (&lines[3]["outcome"], &lines[3]["status_code"]),
        (&"ok".into(), &2101.into())
    );
    // A record is written when its attempt ends. The server may see the slow call's reset only
    // after the next call has been answered, so the last two lines come in either order.
    let slow = lines[4..]
        .iter()
        .find(|l| l["request"]["job_id"] == "11")
        .unwrap_or_else(|| panic!("no record of job 11: {lines:#?}"));
    assert_eq!(slow["outcome"], "cancelled");
    let pin = lines[4..]
        .iter()
        .find(|l| l["method"] == "PinSnapshotData")
        .unwrap_or_else(|| panic!("no PinSnapshotData record: {lines:#?}"));
    assert_eq!(pin["request"]["ttl_seconds"], "9000000000");
    assert_eq!(pin["status_code"], 1100);
}

#[tokio::test]
async fn auth_answers() {
    let sim = Sim::start(&["--auth", "root:Milvus", "--auth", "alice:s3cret"]);
    let mut c = sim.client().await;
    let e = c.connect(ConnectRequest::default()).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Code::Unauthenticated, "missing authorization in header")
    );
    let bad = with_headers(
        ConnectRequest::default(),
        &[("authorization", "cm9vdDp3cm9uZw==")],
    );
    let e = c.connect(bad).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::Unauthenticated,
            "auth check failure, please check username and password are correct"
        )
    );
    let garbage = with_headers(CheckHealthRequest {}, &[("authorization", "%%%")]);
    assert_eq!(
        c.check_health(garbage).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    for token in ["cm9vdDpNaWx2dXM=", "YWxpY2U6czNjcmV0"] {
        let ok = with_headers(ConnectRequest::default(), &[("authorization", token)]);
        assert_ne!(c.connect(ok).await.unwrap().into_inner().identifier, 0);
    }
}

async fn tls_client(
    port: u16,
    tls: ClientTlsConfig,
) -> Result<MilvusServiceClient<Channel>, tonic::transport::Error> {
    let channel = Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await?;
    Ok(MilvusServiceClient::new(channel))
}

#[tokio::test]
async fn tls_and_mutual_tls() {
    let certs = common::scratch();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_milvus-sim"))
        .args(["gen-certs", "--out", certs.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let pem = |f: &str| std::fs::read(certs.join(f)).unwrap();
    for f in [
        "ca.pem",
        "ca.key",
        "server.key",
        "server-nosan.pem",
        "server-nosan.key",
        "client.pem",
        "client.key",
    ] {
        assert!(certs.join(f).exists(), "{f}");
    }
    let path = |f: &str| certs.join(f).to_str().unwrap().to_string();
    let ca = || ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem("ca.pem")));

    let (cert, key) = (path("server.pem"), path("server.key"));
    let sim = Sim::start(&["--tls-cert", &cert, "--tls-key", &key]);
    let mut c = tls_client(sim.port, ca().domain_name("localhost"))
        .await
        .unwrap();
    assert!(
        c.check_health(CheckHealthRequest {})
            .await
            .unwrap()
            .into_inner()
            .is_healthy
    );

    let client_ca = path("ca.pem");
    let mtls = Sim::start(&[
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--tls-client-ca",
        &client_ca,
    ]);
    let refused = match tls_client(mtls.port, ca()).await {
        Err(_) => true,
        Ok(mut c) => c.check_health(CheckHealthRequest {}).await.is_err(),
    };
    assert!(
        refused,
        "mutual TLS accepted a client without a certificate"
    );
    let identity = Identity::from_pem(pem("client.pem"), pem("client.key"));
    let mut c = tls_client(mtls.port, ca().identity(identity))
        .await
        .unwrap();
    assert!(
        c.check_health(CheckHealthRequest {})
            .await
            .unwrap()
            .into_inner()
            .is_healthy
    );

    // A certificate without SAN fails name verification in rustls.
    let (cert, key) = (path("server-nosan.pem"), path("server-nosan.key"));
    let nosan = Sim::start(&["--tls-cert", &cert, "--tls-key", &key]);
    let refused = match tls_client(nosan.port, ca().domain_name("localhost")).await {
        Err(_) => true,
        Ok(mut c) => c.check_health(CheckHealthRequest {}).await.is_err(),
    };
    assert!(refused);
}

fn wait_exit(sim: &mut Sim, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = sim.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "milvus-sim did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn exits_on_stdin_eof_and_sigterm() {
    let mut sim = Sim::start(&[]);
    let _ = sim.client().await;
    drop(sim.child.stdin.take());
    assert!(wait_exit(&mut sim, Duration::from_secs(3)).success());

    let mut sim = Sim::start(&[]);
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(sim.child.id() as i32, libc::SIGTERM) };
    assert!(wait_exit(&mut sim, Duration::from_secs(3)).success());
}

/// Without `--exit-on-stdin-eof` the simulator is a server: stdin at /dev/null (a shell's
/// background, systemd, `docker run` without `-i`, a CI service) does not stop it.
#[tokio::test]
async fn stays_up_with_stdin_at_dev_null() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_milvus-sim"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with stdin at /dev/null"
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = MilvusServiceClient::new(channel);
    assert!(
        client
            .check_health(CheckHealthRequest {})
            .await
            .unwrap()
            .into_inner()
            .is_healthy
    );
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(3);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "milvus-sim did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

#[test]
fn bad_fixtures_fail_at_start() {
    let dir = common::scratch();
    let path = dir.join("bad.json");
    std::fs::write(&path, r#"{"abc": {}}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_milvus-sim"))
        .args(["--fixtures", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an int64 job id"));
}

#[tokio::test]
async fn drop_fault_over_tls() {
    let certs = common::scratch();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_milvus-sim"))
        .args(["gen-certs", "--out", certs.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let path = |f: &str| certs.join(f).to_str().unwrap().to_string();
    let fixtures = certs.join("fixtures.json");
    std::fs::write(&fixtures, FIXTURES).unwrap();
    let sim = Sim::start(&[
        "--tls-cert",
        &path("server.pem"),
        "--tls-key",
        &path("server.key"),
        "--fixtures",
        &path("fixtures.json"),
    ]);
    let ca = Certificate::from_pem(std::fs::read(certs.join("ca.pem")).unwrap());
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca)
        .domain_name("localhost");
    let mut c = tls_client(sim.port, tls).await.unwrap();
    let t = Instant::now();
    assert!(get(&mut c, 12).await.is_err());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "the drop must be immediate"
    );
}

#[tokio::test]
async fn hostile_replies_reset_and_raw_bytes() {
    let fixtures = r#"{
      "14": {"fault": {"reset": true, "fail_times": 1}, "info": {"state": 3}},
      "15": {"fault": {"raw_message_base64": "EgIoAw=="}},
      "16": {"fault": {"raw_body_base64": "AAAAAAoSAg=="}},
      "17": {"fault": {"raw_message_base64": "////"}}
    }"#;
    let dir = common::scratch();
    std::fs::write(dir.join("f.json"), fixtures).unwrap();
    let record = dir.join("record.jsonl");
    let sim = Sim::start_in(
        dir.clone(),
        &[
            "--fixtures",
            dir.join("f.json").to_str().unwrap(),
            "--record",
            record.to_str().unwrap(),
        ],
    );
    let mut c = sim.client().await;

    let e = get(&mut c, 14).await.unwrap_err();
    assert!(matches!(e.code(), Code::Internal | Code::Unknown), "{e:?}");
    // Only the stream was reset: the same connection answers the next attempt.
    assert_eq!(get(&mut c, 14).await.unwrap().info.unwrap().state, 3);

    // A well-framed message with scripted bytes: info.state = 3, no status.
    let r = get(&mut c, 15).await.unwrap();
    assert!(r.status.is_none());
    assert_eq!(r.info.unwrap().state, 3);

    // A frame announcing 10 bytes but carrying 2, and undecodable payload bytes.
    assert!(get(&mut c, 16).await.is_err());
    let e = get(&mut c, 17).await.unwrap_err();
    assert_eq!(e.code(), Code::Internal, "{e:?}");

    let outcomes: Vec<_> = sim.records().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, vec!["reset", "ok", "raw", "raw", "raw"]);
}

#[tokio::test]
async fn large_headers_are_accepted_like_grpc_go() {
    let sim = Sim::start(&["--collection", "books"]);
    let mut c = sim.client().await;
    let big = "x".repeat(100 * 1024);
    let req = with_headers(CheckHealthRequest {}, &[("client-request-id", &big)]);
    assert!(c.check_health(req).await.unwrap().into_inner().is_healthy);
}
