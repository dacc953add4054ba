//! Restore jobs: their state is a pure function of their age, so reading one takes no lock
//! beyond the job table's read lock and no background task mutates anything.

use crate::pb::milvus::{RestoreSnapshotInfo, RestoreSnapshotState};

/// How restores progress (from the command line).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A job stays Pending until the first checker pass, one tick after creation.
    pub tick_ms: u64,
    /// Then it copies `segments` evenly over this many ms.
    pub restore_ms: u64,
    pub segments: u32,
    /// A finished job is forgotten this long after it finished.
    pub retention_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub snapshot_name: String,
    /// The restore target.
    pub db_name: String,
    pub collection_name: String,
    pub start_ms: u64,
    /// `Some(reason)` when the job is scripted to fail.
    pub failure: Option<String>,
}

/// What a job looks like at a given instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub state: RestoreSnapshotState,
    pub progress: i32,
    pub reason: String,
    pub time_cost: u64,
}

impl Timing {
    fn finish_after(&self) -> u64 {
        self.tick_ms.saturating_add(self.restore_ms)
    }
}

impl Job {
    pub fn view(&self, t: &Timing, now_ms: u64) -> View {
        let elapsed = now_ms.saturating_sub(self.start_ms);
        let total = u64::from(t.segments);
        let (state, copied) = if elapsed < t.tick_ms {
            (RestoreSnapshotState::RestoreSnapshotPending, 0)
        } else if elapsed < t.finish_after() {
            // restore_ms > 0 here, since tick_ms <= elapsed < tick_ms + restore_ms.
            let copied = (elapsed - t.tick_ms).saturating_mul(total) / t.restore_ms;
            (
                RestoreSnapshotState::RestoreSnapshotExecuting,
                copied.min(total),
            )
        } else if self.failure.is_some() {
            (
                RestoreSnapshotState::RestoreSnapshotFailed,
                total.saturating_sub(1),
            )
        } else {
            (RestoreSnapshotState::RestoreSnapshotCompleted, total)
        };
        // No segments to copy counts as fully copied, even while Pending.
        let progress = (copied * 100).checked_div(total).unwrap_or(100);
        let (reason, time_cost) = match state {
            RestoreSnapshotState::RestoreSnapshotFailed => {
                (self.failure.clone().unwrap_or_default(), 0)
            }
            RestoreSnapshotState::RestoreSnapshotCompleted => (String::new(), t.finish_after()),
            _ => (String::new(), 0),
        };
        View {
            state,
            progress: progress as i32,
            reason,
            time_cost,
        }
    }

    /// Finished and past retention: the server no longer knows it.
    pub fn expired(&self, t: &Timing, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.start_ms) >= t.finish_after().saturating_add(t.retention_ms)
    }

    pub fn info(&self, t: &Timing, now_ms: u64) -> RestoreSnapshotInfo {
        let view = self.view(t, now_ms);
        RestoreSnapshotInfo {
            job_id: self.id,
            snapshot_name: self.snapshot_name.clone(),
            db_name: self.db_name.clone(),
            collection_name: self.collection_name.clone(),
            state: view.state as i32,
            progress: view.progress,
            reason: view.reason,
            start_time: self.start_ms,
            time_cost: view.time_cost,
        }
    }
}

/// The default failure reason: one of the copy tasks failed.
pub fn default_failure(segments: u32) -> String {
    format!("1/{} tasks failed", segments.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RestoreSnapshotState::*;

    const T: Timing = Timing {
        tick_ms: 100,
        restore_ms: 300,
        segments: 3,
        retention_ms: 1000,
    };

    fn job(failure: Option<&str>) -> Job {
        Job {
            id: 7,
            snapshot_name: "s".into(),
            db_name: "default".into(),
            collection_name: "t".into(),
            start_ms: 10_000,
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn progresses_pending_executing_completed() {
        let j = job(None);
        let at = |dt: u64| {
            let v = j.view(&T, 10_000 + dt);
            (v.state, v.progress, v.time_cost)
        };
        assert_eq!(at(0), (RestoreSnapshotPending, 0, 0));
        assert_eq!(at(99), (RestoreSnapshotPending, 0, 0));
        assert_eq!(at(100), (RestoreSnapshotExecuting, 0, 0));
        assert_eq!(at(200), (RestoreSnapshotExecuting, 33, 0));
        assert_eq!(at(300), (RestoreSnapshotExecuting, 66, 0));
        assert_eq!(at(400), (RestoreSnapshotCompleted, 100, 400));
        assert_eq!(at(5000), (RestoreSnapshotCompleted, 100, 400));
    }

    #[test]
    fn failure_has_reason_and_no_time_cost() {
        let v = job(Some("1/3 tasks failed")).view(&T, 10_400);
        assert_eq!(v.state, RestoreSnapshotFailed);
        assert_eq!(v.reason, "1/3 tasks failed");
        assert_eq!(v.time_cost, 0);
        assert_eq!(v.progress, 66);
    }

    #[test]
    fn zero_segments_is_full_progress_even_pending() {
        let t = Timing { segments: 0, ..T };
        let v = job(None).view(&t, 10_000);
        assert_eq!((v.state, v.progress), (RestoreSnapshotPending, 100));
    }

    #[test]
    fn zero_durations_complete_at_once() {
        let t = Timing {
            tick_ms: 0,
            restore_ms: 0,
            ..T
        };
        let v = job(None).view(&t, 10_000);
        assert_eq!(
            (v.state, v.progress, v.time_cost),
            (RestoreSnapshotCompleted, 100, 0)
        );
    }

    #[test]
    fn forgotten_after_retention() {
        let j = job(None);
        assert!(!j.expired(&T, 11_399));
        assert!(j.expired(&T, 11_400));
    }

    #[test]
    fn info_names_the_target() {
        let i = job(None).info(&T, 10_000);
        assert_eq!(
            (i.db_name.as_str(), i.collection_name.as_str()),
            ("default", "t")
        );
        assert_eq!(i.start_time, 10_000);
        assert_eq!(i.state, RestoreSnapshotPending as i32);
    }
}
