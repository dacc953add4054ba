//! milvus-sim-load: a lean tonic client hammering GetRestoreSnapshotState — the simulator's
//! load test and the benchmark's "raw tonic floor". One Channel, cloned per task.
//!
//! `--tcp-round-trips N` measures what lies under any client on this machine instead: N blocking
//! round trips of a small message with an echo process (this binary, `--tcp-echo`), no gRPC.
//! `--thread-round-trips N`: N round trips between two threads of this process, each side asleep
//! until woken (`thread::park`/`unpark`): the price of the two cross-thread wake-ups that a client
//! with an I/O thread beside its JS thread adds to every sequential call.

use std::time::{Duration, Instant};

use base64::Engine;
use clap::Parser;
use milvus_sim::pb::milvus::milvus_service_client::MilvusServiceClient;
use milvus_sim::pb::milvus::GetRestoreSnapshotStateRequest;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

#[derive(Parser, Debug)]
#[command(
    name = "milvus-sim-load",
    about = "Measure GetRestoreSnapshotState calls/s and latency"
)]
struct Args {
    /// host:port of the server.
    #[arg(long, required_unless_present_any = ["tcp_round_trips", "tcp_echo", "thread_round_trips"])]
    address: Option<String>,
    /// Job id to query.
    #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
    job_id: i64,
    /// Calls in flight (one task each).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Duration of the timed run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Instead of a timed run: this many calls, one at a time.
    #[arg(long)]
    sequential_calls: Option<u64>,
    /// Runtime threads; 1 = a current-thread runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Send `authorization: base64(USER:PASSWORD)`.
    #[arg(long, value_name = "USER:PASSWORD")]
    token: Option<String>,
    /// Send what the Node SDKs send with every call besides the message: `dbname`,
    /// `identifier`, `client-request-unixmsec` (the time, per call) and a deadline
    /// (`grpc-timeout`, 15 s, which tonic also enforces with a timer).
    #[arg(long)]
    official_headers: bool,
    /// Instead of gRPC: this many blocking TCP round trips of TCP_MESSAGE bytes each way with
    /// an echo process; prints their p50/p99 and this process's CPU per round trip.
    #[arg(long)]
    tcp_round_trips: Option<u64>,
    /// Instead of gRPC: this many round trips between two threads of this process, each asleep
    /// until the other wakes it; prints their p50/p99 and the process's CPU per round trip.
    #[arg(long)]
    thread_round_trips: Option<u64>,
    /// Be the echo process of --tcp-round-trips (prints its port, serves one connection).
    #[arg(long, hide = true)]
    tcp_echo: bool,
}

/// Nearest-rank percentile `p` (0–1) of sorted samples.
fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    Some(sorted[(last as f64 * p).round() as usize])
}

/// About one small unary call's frames each way.
const TCP_MESSAGE: usize = 128;

fn cpu_us() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr()) };
    let u = unsafe { u.assume_init() };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(u.ru_utime) + us(u.ru_stime)
}

fn tcp_echo() -> std::io::Result<()> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    let (mut sock, _) = listener.accept()?;
    sock.set_nodelay(true)?;
    let mut buf = [0u8; TCP_MESSAGE];
    loop {
        match sock.read_exact(&mut buf) {
            Ok(()) => sock.write_all(&buf)?,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Blocking round trips with a `--tcp-echo` child: a sleeping client, a sleeping server.
fn tcp_round_trips(n: u64) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    use std::io::{BufRead, Read, Write};
    let mut echo = std::process::Command::new(std::env::current_exe()?)
        .arg("--tcp-echo")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut port = String::new();
    std::io::BufReader::new(echo.stdout.take().ok_or("no stdout")?).read_line(&mut port)?;
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port.trim().parse::<u16>()?))?;
    sock.set_nodelay(true)?;
    let mut buf = [7u8; TCP_MESSAGE];
    let mut report = round_trips("tcp_round_trips", n, || {
        sock.write_all(&buf)?;
        sock.read_exact(&mut buf)
    })?;
    drop(sock);
    echo.wait()?;
    report["message_bytes"] = TCP_MESSAGE.into();
    Ok(report)
}

/// Round trips between this thread and a peer thread: each hands the turn over and sleeps
/// (`park`) until it is handed back, so every trip is two wake-ups of a sleeping thread.
fn thread_round_trips(n: u64) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    const STOP: u64 = u64::MAX;
    // Odd: the peer's turn (the trip's number); the next even number: ours again.
    let turn = Arc::new(AtomicU64::new(0));
    let main = std::thread::current();
    let peer = {
        let turn = turn.clone();
        std::thread::spawn(move || {
            let mut k = 1;
            loop {
                let t = turn.load(Ordering::Acquire);
                if t == STOP {
                    return;
                }
                if t != k {
                    std::thread::park();
                    continue;
                }
                turn.store(k + 1, Ordering::Release);
                main.unpark();
                k += 2;
            }
        })
    };
    let mut k = 1;
    let report = round_trips("thread_round_trips", n, || {
        turn.store(k, Ordering::Release);
        peer.thread().unpark();
        while turn.load(Ordering::Acquire) != k + 1 {
            std::thread::park();
        }
        k += 2;
        Ok(())
    });
    turn.store(STOP, Ordering::Release);
    peer.thread().unpark();
    peer.join().map_err(|_| "the peer thread panicked")?;
    Ok(report?)
}

/// `n` timed round trips after up to 1,000 unmeasured ones: p50/p99 of each and this process's
/// CPU per trip.
fn round_trips(
    mode: &str,
    n: u64,
    mut trip: impl FnMut() -> std::io::Result<()>,
) -> std::io::Result<serde_json::Value> {
    for _ in 0..n.min(1000) {
        trip()?;
    }
    let cpu0 = cpu_us();
    let mut latencies = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        trip()?;
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let cpu = cpu_us() - cpu0;
    latencies.sort_by(f64::total_cmp);
    let pct = |p| percentile(&latencies, p).unwrap_or(0.0);
    Ok(serde_json::json!({
        "mode": mode,
        "calls": n,
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
        "cpu_us_per_call": cpu / n as f64,
    }))
}

type RoundTrips = fn(u64) -> Result<serde_json::Value, Box<dyn std::error::Error>>;

type Client = MilvusServiceClient<Channel>;

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    status_errors: u64,
}

async fn one_call(
    client: &mut Client,
    args: &Args,
    auth: &Option<MetadataValue<tonic::metadata::Ascii>>,
    tally: &mut Tally,
) {
    let mut request = tonic::Request::new(GetRestoreSnapshotStateRequest {
        job_id: args.job_id,
        ..Default::default()
    });
    if let Some(auth) = auth {
        request.metadata_mut().insert("authorization", auth.clone());
    }
    if args.official_headers {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let md = request.metadata_mut();
        md.insert("dbname", MetadataValue::from_static("default"));
        md.insert(
            "identifier",
            MetadataValue::from_static("462000000000000001"),
        );
        if let Ok(v) = MetadataValue::try_from(millis.to_string()) {
            md.insert("client-request-unixmsec", v);
        }
        request.set_timeout(Duration::from_secs(15));
    }
    let start = Instant::now();
    let result = client.get_restore_snapshot_state(request).await;
    tally
        .latencies_us
        .push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
    match result {
        Err(_) => tally.errors += 1,
        Ok(reply) => {
            if reply.get_ref().status.as_ref().is_some_and(|s| s.code != 0) {
                tally.status_errors += 1;
            }
        }
    }
}

async fn run(args: Args) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let address = args.address.as_deref().ok_or("--address is required")?;
    let channel = Endpoint::from_shared(format!("http://{address}"))?
        .tcp_nodelay(true)
        .connect()
        .await?;
    let client = MilvusServiceClient::new(channel);
    let auth = match &args.token {
        Some(t) => Some(
            base64::engine::general_purpose::STANDARD
                .encode(t)
                .parse::<MetadataValue<_>>()?,
        ),
        None => None,
    };
    // Warm up the connection outside the measurement.
    one_call(&mut client.clone(), &args, &auth, &mut Tally::default()).await;

    let args = std::sync::Arc::new(args);
    let auth = std::sync::Arc::new(auth);
    let started = Instant::now();
    let (mode, concurrency, tallies) = if let Some(n) = args.sequential_calls {
        let mut tally = Tally::default();
        let mut c = client.clone();
        for _ in 0..n {
            one_call(&mut c, &args, &auth, &mut tally).await;
        }
        ("sequential", 1, vec![tally])
    } else {
        let deadline = started + Duration::from_secs_f64(args.seconds);
        let tasks: Vec<_> = (0..args.concurrency.max(1))
            .map(|_| {
                let (mut c, args, auth) = (client.clone(), args.clone(), auth.clone());
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    while Instant::now() < deadline {
                        one_call(&mut c, &args, &auth, &mut tally).await;
                    }
                    tally
                })
            })
            .collect();
        let mut tallies = Vec::new();
        for t in tasks {
            tallies.push(t.await?);
        }
        ("timed", args.concurrency.max(1), tallies)
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut all: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.latencies_us.iter().copied())
        .collect();
    all.sort_unstable();
    let pct = |p| percentile(&all, p).unwrap_or(0);
    let calls = all.len() as u64;
    Ok(serde_json::json!({
        "mode": mode,
        "concurrency": concurrency,
        "threads": args.threads,
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "calls": calls,
        "calls_per_sec": (calls as f64 / elapsed).round(),
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "max_us": all.last().copied().unwrap_or(0),
        "errors": tallies.iter().map(|t| t.errors).sum::<u64>(),
        "status_errors": tallies.iter().map(|t| t.status_errors).sum::<u64>(),
    }))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = if args.tcp_echo {
        tcp_echo().map(|()| None).map_err(Into::into)
    } else if let Some((flag, n, run)) = args
        .tcp_round_trips
        .map(|n| ("--tcp-round-trips", n, tcp_round_trips as RoundTrips))
        .or(args
            .thread_round_trips
            .map(|n| ("--thread-round-trips", n, thread_round_trips as RoundTrips)))
    {
        if n == 0 {
            Err(format!("{flag} must be at least 1").into())
        } else {
            run(n).map(Some)
        }
    } else {
        let runtime = if args.threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(args.threads)
                .enable_all()
                .build()
        }
        .expect("tokio runtime");
        runtime.block_on(run(args)).map(Some)
    };
    match result {
        Ok(report) => {
            if let Some(report) = report {
                println!("{report}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("milvus-sim-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
