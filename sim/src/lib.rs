//! milvus-sim: a local Milvus 3.0 server for the collection-snapshot family (SPEC §6).
//!
//! The binary (`src/main.rs`) parses flags into [`config::ServeArgs`] and calls [`run`].

pub mod certs;
mod collections;
pub mod config;
pub mod fixtures;
mod handlers;
pub mod jobs;
pub mod net;
pub mod record;
pub mod service;
pub mod status;
pub mod store;
pub mod unary;

/// The generated Milvus wire types (proto/ at the repository root).
pub mod pb {
    pub mod common {
        tonic::include_proto!("milvus.proto.common");
    }
    pub mod milvus {
        tonic::include_proto!("milvus.proto.milvus");
    }
}

use std::io::Write;
use std::time::Duration;

use tokio::net::TcpListener;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Binds, prints `LISTENING <port>`, serves until a shutdown signal (SIGTERM, SIGINT, and stdin EOF
/// with `--exit-on-stdin-eof`).
pub async fn run(args: config::ServeArgs) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sim = service::Sim::from_args(&args)?;
    let tls = args.tls_config()?;
    // Handlers go in before `LISTENING`, so a SIGTERM right after it is a clean shutdown.
    let signal = shutdown_signal(args.exit_on_stdin_eof)?;
    let listener = TcpListener::bind((args.host.as_str(), args.port)).await?;
    let port = listener.local_addr()?.port();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING {port}")?;
        out.flush()?;
    }

    // grpc-go's (Milvus's) default header list limit is 16 MiB; hyper's is 16 KiB, which would
    // answer a large header (e.g. a long client-request-id) with HTTP 431 where Milvus accepts it.
    //
    // h2 ≥ 0.4.20 closes a connection (GOAWAY ENHANCE_YOUR_CALM "too_many_data_frames") once
    // small DATA frames not yet read by handlers exceed a budget of half the connection window
    // (25.6 KB by default ≈ 100 unary requests). A fast client with thousands of calls in flight
    // crosses it; grpc-go has no such limit, so give the budget room with a 64 MiB window.
    let mut builder = tonic::transport::Server::builder()
        .http2_max_header_list_size(16 << 20)
        .initial_connection_window_size(64 << 20);
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        .add_service(unary::UnaryWire(sim.into_server()))
        .serve_with_incoming_shutdown(net::incoming(listener), signal)
        .await?;
    Ok(())
}

/// Resolves on SIGTERM, SIGINT or (when watched) stdin EOF, then arms a watchdog: graceful shutdown waits for
/// in-flight calls, and a scripted delay must not keep the process alive.
fn shutdown_signal(watch_stdin: bool) -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let stdin_eof = async move {
        if !watch_stdin {
            return std::future::pending::<()>().await;
        }
        // A plain thread: tokio's stdin would keep a blocking-pool thread we cannot cancel anyway.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            loop {
                match std::io::Read::read(&mut stdin, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
            _ = stdin_eof => {},
        }
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(2));
            std::process::exit(0);
        });
    })
}
