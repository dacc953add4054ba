//! The in-memory catalog: databases, collections, snapshots, pins and restore jobs (SPEC §6).
//!
//! Catalog changes take one mutex; restore jobs live in their own read-mostly table so that
//! GetRestoreSnapshotState only takes a read lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::jobs::{default_failure, Job, Timing};
use crate::now_ms;
use crate::pb::milvus::RestoreSnapshotInfo;
use crate::status::MilvusError;

pub const MAX_COMPACTION_PROTECTION_SECONDS: i64 = 604_800;
pub const MAX_PIN_TTL_SECONDS: i64 = 2_592_000;

/// Ids look like Milvus's allocated ids: large, so int64 handling is exercised.
const ID_BASE: i64 = 462_000_000_000_000_000;

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    pub collection_name: String,
    pub partition_names: Vec<String>,
    pub create_ts: i64,
    pub s3_location: String,
}

#[derive(Debug, Default)]
pub(crate) struct Collection {
    pub(crate) id: i64,
    /// In creation order.
    snapshots: Vec<Snapshot>,
    /// Unix ms of creation (of the restore's start for a restore target).
    pub(crate) created_ms: u64,
    /// The job restoring into this collection: the collection RPCs see it once the job completed
    /// (collections.rs).
    pub(crate) restore: Option<Arc<Job>>,
}

#[derive(Debug)]
struct Pin {
    _expires_ms: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) dbs: HashMap<String, HashMap<String, Collection>>,
    pins: HashMap<i64, Pin>,
}

/// A snapshot request's address: database, collection, snapshot name.
pub struct SnapshotRef<'a> {
    pub db: &'a str,
    pub collection: &'a str,
    pub name: &'a str,
}

pub struct RestoreTarget<'a> {
    pub db: &'a str,
    pub collection: &'a str,
}

pub struct Store {
    pub(crate) timing: Timing,
    failing: HashMap<String, Option<String>>,
    ids: AtomicI64,
    pub(crate) catalog: Mutex<Catalog>,
    jobs: RwLock<BTreeMap<i64, Arc<Job>>>,
}

impl Catalog {
    fn collection(&self, db: &str, name: &str) -> Result<&Collection, MilvusError> {
        self.dbs
            .get(db)
            .ok_or_else(|| MilvusError::database_not_found(db))?
            .get(name)
            .ok_or_else(|| MilvusError::collection_not_found(db, name))
    }

    fn collection_mut(&mut self, db: &str, name: &str) -> Result<&mut Collection, MilvusError> {
        self.dbs
            .get_mut(db)
            .ok_or_else(|| MilvusError::database_not_found(db))?
            .get_mut(name)
            .ok_or_else(|| MilvusError::collection_not_found(db, name))
    }

    fn snapshot(&self, r: &SnapshotRef) -> Result<&Snapshot, MilvusError> {
        if r.name.is_empty() {
            return Err(MilvusError::empty("snapshot name"));
        }
        self.collection(r.db, r.collection)?
            .snapshots
            .iter()
            .find(|s| s.name == r.name)
            .ok_or_else(|| MilvusError::snapshot_not_found(r.name, r.db, r.collection))
    }
}

impl Store {
    pub fn new(
        timing: Timing,
        collections: &[(String, String)],
        failing: Vec<(String, Option<String>)>,
    ) -> Self {
        let store = Store {
            timing,
            failing: failing.into_iter().collect(),
            ids: AtomicI64::new(ID_BASE),
            catalog: Mutex::new(Catalog::default()),
            jobs: RwLock::new(BTreeMap::new()),
        };
        {
            let mut cat = store.catalog.lock().unwrap();
            cat.dbs.entry("default".into()).or_default();
            for (db, name) in collections {
                let id = store.next_id();
                cat.dbs
                    .entry(db.clone())
                    .or_default()
                    .entry(name.clone())
                    .or_insert_with(|| Collection {
                        id,
                        created_ms: now_ms(),
                        ..Default::default()
                    });
            }
        }
        store
    }

    pub fn next_id(&self) -> i64 {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn create_snapshot(
        &self,
        r: &SnapshotRef,
        description: &str,
        protection_seconds: i64,
    ) -> Result<(), MilvusError> {
        if r.name.is_empty() {
            return Err(MilvusError::empty("snapshot name"));
        }
        if !(0..=MAX_COMPACTION_PROTECTION_SECONDS).contains(&protection_seconds) {
            return Err(MilvusError::out_of_range(
                "compaction_protection_seconds",
                MAX_COMPACTION_PROTECTION_SECONDS,
                protection_seconds,
            ));
        }
        let mut cat = self.catalog.lock().unwrap();
        let coll = cat.collection_mut(r.db, r.collection)?;
        if coll.snapshots.iter().any(|s| s.name == r.name) {
            return Err(MilvusError::snapshot_exists(r.name));
        }
        let snapshot = Snapshot {
            name: r.name.to_string(),
            description: description.to_string(),
            collection_name: r.collection.to_string(),
            partition_names: vec!["_default".into()],
            create_ts: now_ms() as i64,
            s3_location: format!("snapshots/{}/{}", coll.id, r.name),
        };
        coll.snapshots.push(snapshot);
        Ok(())
    }

    /// Dropping an unknown snapshot succeeds; an unknown collection does not.
    pub fn drop_snapshot(&self, r: &SnapshotRef) -> Result<(), MilvusError> {
        if r.name.is_empty() {
            return Err(MilvusError::empty("snapshot name"));
        }
        let mut cat = self.catalog.lock().unwrap();
        cat.collection_mut(r.db, r.collection)?
            .snapshots
            .retain(|s| s.name != r.name);
        Ok(())
    }

    pub fn list_snapshots(&self, db: &str, collection: &str) -> Result<Vec<String>, MilvusError> {
        let cat = self.catalog.lock().unwrap();
        let names = |c: &Collection| {
            c.snapshots
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
        };
        if collection.is_empty() {
            let colls = cat
                .dbs
                .get(db)
                .ok_or_else(|| MilvusError::database_not_found(db))?;
            let mut sorted: Vec<_> = colls.iter().collect();
            sorted.sort_by_key(|(_, c)| c.id);
            return Ok(sorted.into_iter().flat_map(|(_, c)| names(c)).collect());
        }
        Ok(names(cat.collection(db, collection)?))
    }

    pub fn describe_snapshot(&self, r: &SnapshotRef) -> Result<Snapshot, MilvusError> {
        let cat = self.catalog.lock().unwrap();
        cat.snapshot(r).cloned()
    }

    pub fn restore_snapshot(
        &self,
        source: &SnapshotRef,
        target: &RestoreTarget,
    ) -> Result<i64, MilvusError> {
        if source.name.is_empty() {
            return Err(MilvusError::empty("snapshot name"));
        }
        if target.collection.is_empty() {
            return Err(MilvusError::empty("target collection name"));
        }
        let mut cat = self.catalog.lock().unwrap();
        let snapshot_name = cat.snapshot(source)?.name.clone();
        let target_db = cat
            .dbs
            .get_mut(target.db)
            .ok_or_else(|| MilvusError::database_not_found(target.db))?;
        if target_db.contains_key(target.collection) {
            return Err(MilvusError::target_exists(target.collection, target.db));
        }
        let collection_id = self.next_id();
        let failure = self.failing.get(&snapshot_name).map(|reason| {
            reason
                .clone()
                .unwrap_or_else(|| default_failure(self.timing.segments))
        });
        let job = Arc::new(Job {
            id: self.next_id(),
            snapshot_name,
            db_name: target.db.to_string(),
            collection_name: target.collection.to_string(),
            start_ms: now_ms(),
            failure,
        });
        target_db.insert(
            target.collection.to_string(),
            Collection {
                id: collection_id,
                created_ms: job.start_ms,
                restore: Some(job.clone()),
                ..Default::default()
            },
        );
        let id = job.id;
        let mut jobs = self.jobs.write().unwrap();
        let now = now_ms();
        jobs.retain(|_, j| !j.expired(&self.timing, now));
        jobs.insert(id, job);
        Ok(id)
    }

    /// The hot path: one read lock, no allocation beyond the reply's strings.
    pub fn restore_state(&self, job_id: i64) -> Result<RestoreSnapshotInfo, MilvusError> {
        let job = self.jobs.read().unwrap().get(&job_id).cloned();
        let now = now_ms();
        match job {
            Some(job) if !job.expired(&self.timing, now) => Ok(job.info(&self.timing, now)),
            _ => Err(MilvusError::job_not_found(job_id)),
        }
    }

    /// Jobs filtered by target database / collection when given, by job id.
    pub fn list_jobs(&self, db: &str, collection: &str) -> Vec<RestoreSnapshotInfo> {
        let now = now_ms();
        let jobs = self.jobs.read().unwrap();
        jobs.values()
            .filter(|j| !j.expired(&self.timing, now))
            .filter(|j| db.is_empty() || j.db_name == db)
            .filter(|j| collection.is_empty() || j.collection_name == collection)
            .map(|j| j.info(&self.timing, now))
            .collect()
    }

    pub fn pin(&self, r: &SnapshotRef, ttl_seconds: i64) -> Result<i64, MilvusError> {
        if r.name.is_empty() {
            return Err(MilvusError::empty("snapshot name"));
        }
        if !(0..=MAX_PIN_TTL_SECONDS).contains(&ttl_seconds) {
            return Err(MilvusError::out_of_range(
                "ttl_seconds",
                MAX_PIN_TTL_SECONDS,
                ttl_seconds,
            ));
        }
        let mut cat = self.catalog.lock().unwrap();
        cat.snapshot(r)?;
        let id = self.next_id();
        cat.pins.insert(
            id,
            Pin {
                _expires_ms: now_ms() + (ttl_seconds as u64) * 1000,
            },
        );
        Ok(id)
    }

    /// Unpinning an unknown pin succeeds.
    pub fn unpin(&self, pin_id: i64) {
        self.catalog.lock().unwrap().pins.remove(&pin_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let t = Timing {
            tick_ms: 0,
            restore_ms: 0,
            segments: 3,
            retention_ms: 60_000,
        };
        Store::new(t, &[("default".into(), "books".into())], vec![])
    }

    fn snap<'a>(name: &'a str) -> SnapshotRef<'a> {
        SnapshotRef {
            db: "default",
            collection: "books",
            name,
        }
    }

    #[test]
    fn snapshot_lifecycle() {
        let s = store();
        s.create_snapshot(&snap("s1"), "d", 10).unwrap();
        assert_eq!(
            s.create_snapshot(&snap("s1"), "d", 10).unwrap_err(),
            MilvusError::snapshot_exists("s1")
        );
        assert_eq!(s.list_snapshots("default", "books").unwrap(), vec!["s1"]);
        assert_eq!(s.describe_snapshot(&snap("s1")).unwrap().description, "d");
        let target = RestoreTarget {
            db: "default",
            collection: "books2",
        };
        let job = s.restore_snapshot(&snap("s1"), &target).unwrap();
        assert_eq!(
            s.restore_snapshot(&snap("s1"), &target).unwrap_err().code,
            1100
        );
        assert_eq!(s.restore_state(job).unwrap().collection_name, "books2");
        assert_eq!(s.list_jobs("", "books2").len(), 1);
        assert_eq!(s.list_jobs("other", "").len(), 0);
        s.drop_snapshot(&snap("s1")).unwrap();
        s.drop_snapshot(&snap("s1")).unwrap();
        assert!(s.list_snapshots("default", "books").unwrap().is_empty());
    }

    #[test]
    fn range_checks() {
        let s = store();
        assert_eq!(
            s.create_snapshot(&snap("x"), "", 604_801).unwrap_err().code,
            1100
        );
        assert_eq!(
            s.create_snapshot(&snap("x"), "", -1).unwrap_err().code,
            1100
        );
        s.create_snapshot(&snap("x"), "", 604_800).unwrap();
        assert_eq!(s.pin(&snap("x"), 2_592_001).unwrap_err().code, 1100);
        assert!(s.pin(&snap("x"), 2_592_000).unwrap() > 0);
    }
}
