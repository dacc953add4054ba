//! `waitForRestoreSnapshot`: poll GetRestoreSnapshotState until the job ends, in Rust (no JS
//! timer per poll), bounded by an overall timeout and cancellable.
//!
//! Outages are ridden out: a poll that fails with a transient code (UNAVAILABLE, which a
//! refused or dropped connection is, or its own DEADLINE_EXCEEDED), or in global mode with a
//! topology failure that waiting may cure (the topology server away, no writable cluster
//! yet), is followed by another after a pause (`outage_pause`), until the wait's own timeout;
//! its last error becomes the timeout's cause. A Milvus error status, Failed, an abort or any
//! other failure ends the wait at once.

use std::time::Duration;

use crate::proto::milvus::{RestoreSnapshotInfo, RestoreSnapshotState};

#[cfg(feature = "napi")]
pub use polling::{wait, Event, WaitEnd, WaitRequest};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(1000);
/// The longest pause between two polls during an outage (unless `interval` is longer).
pub const OUTAGE_PAUSE_CAP: Duration = Duration::from_secs(5);

/// gRPC codes that a wait polls through: the server is away or slow, not saying no.
pub fn is_transient(code: i32) -> bool {
    // 14 UNAVAILABLE (refused, reset, GOAWAY, a proxy restarting), 4 DEADLINE_EXCEEDED.
    code == 14 || code == 4
}

/// The pause after the `failures`-th transient failure in a row: `interval`, doubling with each
/// further failure, capped at `OUTAGE_PAUSE_CAP` (or `interval`, if longer). The caller caps it
/// by what is left of the wait.
pub fn outage_pause(interval: Duration, failures: u32) -> Duration {
    let cap = interval.max(OUTAGE_PAUSE_CAP);
    let doublings = failures.saturating_sub(1).min(31);
    interval.saturating_mul(1u32 << doublings).min(cap)
}

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

    use super::{is_change, is_transient, outage_pause, RestoreSnapshotInfo, RestoreSnapshotState};
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

    /// What a wait tells its caller while it runs.
    pub enum Event<'a> {
        /// The job's state or progress changed (the first reply included).
        Change(&'a RestoreSnapshotInfo),
        /// A poll failed with a transient error, `failures` in a row; the next poll goes out
        /// after `pause`.
        PollError {
            error: &'a Failure,
            failures: u32,
            pause: Duration,
        },
    }

    /// How a wait ended, with the last reply seen (if any).
    pub enum WaitEnd {
        Completed(GetRestoreSnapshotStateResponse),
        /// The job reached RestoreSnapshotFailed.
        Failed(GetRestoreSnapshotStateResponse),
        /// The server answered with a Milvus error status (e.g. job not found).
        Status(GetRestoreSnapshotStateResponse),
        /// Out of time: the last reply, and the last poll's failure if it failed (an outage).
        TimedOut(Option<GetRestoreSnapshotStateResponse>, Option<Failure>),
        Unimplemented,
        Call(Failure),
    }

    pub async fn wait(
        transport: &Transport,
        mut req: WaitRequest,
        mut on_event: impl FnMut(Event<'_>),
    ) -> WaitEnd {
        let started = Instant::now();
        let mut last: Option<GetRestoreSnapshotStateResponse> = None;
        let mut cancel = req.cancel.clone();
        // Transient failures in a row, and the latest one's error.
        let mut failures = 0u32;
        let mut outage: Option<Failure> = None;
        loop {
            let left = req.timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return WaitEnd::TimedOut(last, outage);
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
                topology: None,
            };
            let message = GetRestoreSnapshotStateRequest {
                job_id: req.job_id,
                ..Default::default()
            };
            let poll = transport.unary(call, message, |mut c: Client, r| async move {
                c.get_restore_snapshot_state(r).await
            });
            // The client's retries within one poll cannot take it past the wait's end either.
            let Ok(result) = tokio::time::timeout(left, poll).await else {
                return WaitEnd::TimedOut(last, outage);
            };
            let reply = match result {
                Ok(Reply::Message(reply)) => reply,
                Ok(Reply::Unimplemented) => return WaitEnd::Unimplemented,
                // The poll ran out of the overall time, not of its own: report the wait's timeout.
                Err(Failure::Grpc(e)) if e.code == 4 && started.elapsed() >= req.timeout => {
                    return WaitEnd::TimedOut(last, outage)
                }
                Err(f) if rides_out(&f) => {
                    failures += 1;
                    let left = req.timeout.saturating_sub(started.elapsed());
                    let pause = outage_pause(req.interval, failures).min(left);
                    on_event(Event::PollError {
                        error: &f,
                        failures,
                        pause,
                    });
                    outage = Some(f);
                    if pause_or_abort(pause, cancel.as_mut()).await {
                        return WaitEnd::Call(Failure::Aborted);
                    }
                    continue;
                }
                Err(f) => return WaitEnd::Call(f),
            };
            failures = 0;
            outage = None;
            if reply
                .status
                .as_ref()
                .is_some_and(|s| s.code != 0 || s.error_code != 0)
            {
                return WaitEnd::Status(reply);
            }
            if let Some(info) = &reply.info {
                if is_change(last.as_ref().and_then(|l| l.info.as_ref()), info) {
                    on_event(Event::Change(info));
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
            if pause_or_abort(req.interval.min(left), cancel.as_mut()).await {
                return WaitEnd::Call(Failure::Aborted);
            }
        }
    }

    /// A failed poll that the wait rides out: the server or the topology is away, not saying no.
    fn rides_out(f: &Failure) -> bool {
        match f {
            Failure::Grpc(e) => is_transient(e.code),
            Failure::Topology(t) => t.transient,
            Failure::Aborted | Failure::Closed => false,
        }
    }

    /// Sleeps for `pause`; `true` if the caller aborted first.
    async fn pause_or_abort(pause: Duration, cancel: Option<&mut watch::Receiver<bool>>) -> bool {
        let pause = tokio::time::sleep(pause);
        match cancel {
            None => {
                pause.await;
                false
            }
            Some(rx) => {
                tokio::select! {
                    Ok(_) = rx.wait_for(|aborted| *aborted) => true,
                    _ = pause => false,
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

    #[test]
    fn outage_pauses_double_from_the_interval_up_to_the_cap() {
        let ms = Duration::from_millis;
        let pauses: Vec<_> = (1..=8).map(|n| outage_pause(ms(100), n)).collect();
        assert_eq!(
            pauses,
            [100, 200, 400, 800, 1600, 3200, 5000, 5000]
                .map(ms)
                .to_vec()
        );
        // An interval over the cap is kept as it is; absurd counts do not overflow.
        assert_eq!(outage_pause(ms(8000), 3), ms(8000));
        assert_eq!(outage_pause(ms(1), 10_000), OUTAGE_PAUSE_CAP);
        assert_eq!(outage_pause(Duration::MAX, 40), Duration::MAX);
    }

    #[test]
    fn only_unavailable_and_deadline_are_transient() {
        let transient: Vec<i32> = (0..=16).filter(|&c| is_transient(c)).collect();
        assert_eq!(transient, [4, 14]);
    }
}
