//! `waitForRestoreSnapshot`: poll GetRestoreSnapshotState until the job ends, in Rust (no JS
//! timer per poll), bounded by an overall timeout and cancellable.

use std::time::Duration;

use crate::proto::milvus::{RestoreSnapshotInfo, RestoreSnapshotState};

#[cfg(feature = "napi")]
pub use polling::{wait, WaitEnd, WaitRequest};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(1000);

/// Whether the job has ended (Completed or Failed).
pub fn is_final(info: &RestoreSnapshotInfo) -> bool {
    matches!(
        RestoreSnapshotState::try_from(info.state),
        Ok(RestoreSnapshotState::RestoreSnapshotCompleted
            | RestoreSnapshotState::RestoreSnapshotFailed)
    )
}

/// Whether `info` differs from the last reported one in state or progress.
pub fn is_change(last: Option<&RestoreSnapshotInfo>, info: &RestoreSnapshotInfo) -> bool {
    last.is_none_or(|l| l.state != info.state || l.progress != info.progress)
}

/// The polling loop, on the addon's runtime (built with the `napi` feature only).
#[cfg(feature = "napi")]
mod polling {
    use std::time::{Duration, Instant};

    use tokio::sync::watch;

    use super::{is_change, RestoreSnapshotInfo, RestoreSnapshotState};
    use crate::js::hub::PollTrace;
    use crate::proto::milvus::{GetRestoreSnapshotStateRequest, GetRestoreSnapshotStateResponse};
    use crate::transport::{Call, Client, Failure, Reply, Transport};

    pub struct WaitRequest {
        pub job_id: i64,
        /// Bound on the whole wait.
        pub timeout: Duration,
        /// Pause between two polls.
        pub interval: Duration,
        /// Bound on each poll (the client's timeout), capped by what is left of `timeout`.
        pub call_timeout: Duration,
        pub cancel: Option<watch::Receiver<bool>>,
        /// `trace: true`: each poll's trace headers.
        pub trace: Option<PollTrace>,
    }

    /// How a wait ended, with the last reply seen (if any).
    pub enum WaitEnd {
        Completed(GetRestoreSnapshotStateResponse),
        /// The job reached RestoreSnapshotFailed.
        Failed(GetRestoreSnapshotStateResponse),
        /// The server answered with a Milvus error status (e.g. job not found).
        Status(GetRestoreSnapshotStateResponse),
        TimedOut(Option<GetRestoreSnapshotStateResponse>),
        Unimplemented,
        Call(Failure),
    }

    pub async fn wait(
        transport: &Transport,
        mut req: WaitRequest,
        mut on_change: impl FnMut(&RestoreSnapshotInfo),
    ) -> WaitEnd {
        let started = Instant::now();
        let mut last: Option<GetRestoreSnapshotStateResponse> = None;
        let mut cancel = req.cancel.clone();
        loop {
            let left = req.timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return WaitEnd::TimedOut(last);
            }
            let trace = match req.trace.as_mut() {
                None => None,
                // Asks the JS thread; bounded, so a JS side that is gone cannot hold the wait.
                Some(t) => tokio::time::timeout(left, t.next()).await.ok().flatten(),
            };
            let call = Call {
                method: "GetRestoreSnapshotState",
                timeout: req.call_timeout.min(left),
                request_id: None,
                cancel: req.cancel.clone(),
                trace,
                client: None,
            };
            let message = GetRestoreSnapshotStateRequest { job_id: req.job_id };
            let result = transport
                .unary(call, message, |mut c: Client, r| async move {
                    c.get_restore_snapshot_state(r).await
                })
                .await;
            let reply = match result {
                Ok(Reply::Message(reply)) => reply,
                Ok(Reply::Unimplemented) => return WaitEnd::Unimplemented,
                // The poll ran out of the overall time, not of its own: report the wait's timeout.
                Err(Failure::Grpc(e)) if e.code == 4 && started.elapsed() >= req.timeout => {
                    return WaitEnd::TimedOut(last)
                }
                Err(f) => return WaitEnd::Call(f),
            };
            if reply
                .status
                .as_ref()
                .is_some_and(|s| s.code != 0 || s.error_code != 0)
            {
                return WaitEnd::Status(reply);
            }
            if let Some(info) = &reply.info {
                if is_change(last.as_ref().and_then(|l| l.info.as_ref()), info) {
                    on_change(info);
                }
                match RestoreSnapshotState::try_from(info.state) {
                    Ok(RestoreSnapshotState::RestoreSnapshotCompleted) => {
                        return WaitEnd::Completed(reply)
                    }
                    Ok(RestoreSnapshotState::RestoreSnapshotFailed) => {
                        return WaitEnd::Failed(reply)
                    }
                    _ => {}
                }
            }
            last = Some(reply);
            let left = req.timeout.saturating_sub(started.elapsed());
            let pause = tokio::time::sleep(req.interval.min(left));
            match cancel.as_mut() {
                None => pause.await,
                Some(rx) => {
                    tokio::select! {
                        Ok(_) = rx.wait_for(|aborted| *aborted) => return WaitEnd::Call(Failure::Aborted),
                        _ = pause => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_a_new_state_or_progress() {
        let info = |state, progress| RestoreSnapshotInfo {
            state,
            progress,
            ..Default::default()
        };
        assert!(is_change(None, &info(1, 0)));
        assert!(!is_change(Some(&info(1, 0)), &info(1, 0)));
        assert!(is_change(Some(&info(1, 0)), &info(2, 0)));
        assert!(is_change(Some(&info(2, 10)), &info(2, 40)));
    }
}
