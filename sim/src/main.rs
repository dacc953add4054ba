use std::process::ExitCode;

use clap::Parser;
use milvus_sim::config::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::GenCerts { out }) => milvus_sim::certs::generate(&out),
        None => serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("milvus-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    args: milvus_sim::config::ServeArgs,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?
        .block_on(milvus_sim::run(args))
}
