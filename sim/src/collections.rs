//! HasCollection, ShowCollections, DescribeCollection and DropCollection over the catalog, so
//! that an app can look at a restored collection through the official SDK (issue 17). The
//! collections are the seeded ones and restore targets whose restore completed; each has the
//! same small fixed schema. Replies and errors follow Milvus: an unknown collection is
//! `value: false` for HasCollection, code 100 (`CollectionNotExists`, "can't find
//! collection[database=..][collection=..]") for DescribeCollection, and a success for
//! DropCollection (idempotent in Milvus); an unknown database is code 800.

use serde_json::{json, Value};

use crate::jobs::Timing;
use crate::now_ms;
use crate::pb::common::Status as MilvusStatus;
use crate::pb::milvus::*;
use crate::record::ToRecord;
use crate::service::{reply, status_of, Ctx, HasStatus, Plan, Sim};
use crate::status::{success, MilvusError};
use crate::store::{Collection, Store};

/// The fixed schema's vector dimension.
const DIM: &str = "8";

/// What the collection RPCs report of one collection.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionView {
    pub name: String,
    pub id: i64,
    pub created_ms: u64,
}

fn visible(c: &Collection, timing: &Timing, now: u64) -> bool {
    c.restore.as_ref().is_none_or(|job| {
        job.view(timing, now).state == RestoreSnapshotState::RestoreSnapshotCompleted
    })
}

fn not_found(db: &str, collection: &str) -> MilvusError {
    MilvusError {
        code: 100,
        reason: format!("can't find collection[database={db}][collection={collection}]"),
        input: true,
    }
}

impl Store {
    /// The database's visible collections, in creation order.
    pub fn collections(&self, db: &str) -> Result<Vec<CollectionView>, MilvusError> {
        let cat = self.catalog.lock().unwrap();
        let now = now_ms();
        let colls = cat
            .dbs
            .get(db)
            .ok_or_else(|| MilvusError::database_not_found(db))?;
        let mut out: Vec<CollectionView> = colls
            .iter()
            .filter(|(_, c)| visible(c, &self.timing, now))
            .map(|(name, c)| CollectionView {
                name: name.clone(),
                id: c.id,
                created_ms: c.created_ms,
            })
            .collect();
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// A visible collection, by name or (when `name` is empty) by id.
    pub fn find_collection(
        &self,
        db: &str,
        name: &str,
        id: i64,
    ) -> Result<Option<CollectionView>, MilvusError> {
        Ok(self.collections(db)?.into_iter().find(|c| {
            if name.is_empty() {
                c.id == id
            } else {
                c.name == name
            }
        }))
    }

    /// Drops a visible collection (and its snapshots); an unknown one is not an error.
    pub fn drop_collection(&self, db: &str, name: &str) -> Result<(), MilvusError> {
        if name.is_empty() {
            return Err(MilvusError::empty("collection name"));
        }
        if self.find_collection(db, name, 0)?.is_some() {
            let mut cat = self.catalog.lock().unwrap();
            if let Some(colls) = cat.dbs.get_mut(db) {
                colls.remove(name);
            }
        }
        Ok(())
    }
}

fn kv(key: &str, value: &str) -> KeyValuePair {
    KeyValuePair {
        key: key.into(),
        value: value.into(),
    }
}

/// Milvus's hybrid timestamp of a Unix ms time (physical part shifted over 18 logical bits).
fn hybrid(ms: u64) -> u64 {
    ms << 18
}

/// The fixed schema: `id` (Int64, primary key) and `vector` (FloatVector, dim 8).
fn schema(name: &str, db: &str) -> CollectionSchema {
    CollectionSchema {
        name: name.into(),
        fields: vec![
            FieldSchema {
                field_id: 100,
                name: "id".into(),
                is_primary_key: true,
                data_type: DataType::Int64 as i32,
                ..Default::default()
            },
            FieldSchema {
                field_id: 101,
                name: "vector".into(),
                data_type: DataType::FloatVector as i32,
                type_params: vec![kv("dim", DIM)],
                ..Default::default()
            },
        ],
        db_name: db.into(),
        ..Default::default()
    }
}

pub(crate) fn has(sim: &Sim, ctx: &Ctx, r: HasCollectionRequest) -> Plan<BoolResponse> {
    let db = ctx.db(&r.db_name);
    reply(match sim.store.find_collection(db, &r.collection_name, 0) {
        Ok(found) if !r.collection_name.is_empty() => BoolResponse {
            status: Some(success()),
            value: found.is_some(),
        },
        Ok(_) => BoolResponse {
            status: Some(MilvusError::empty("collection name").to_status()),
            value: false,
        },
        Err(e) => BoolResponse {
            status: Some(e.to_status()),
            value: false,
        },
    })
}

pub(crate) fn show(
    sim: &Sim,
    ctx: &Ctx,
    r: ShowCollectionsRequest,
) -> Plan<ShowCollectionsResponse> {
    reply(match sim.store.collections(ctx.db(&r.db_name)) {
        // Nothing is ever loaded here, so `InMemory` lists nothing.
        Ok(_) if r.r#type == ShowType::InMemory as i32 => ShowCollectionsResponse {
            status: Some(success()),
            ..Default::default()
        },
        Ok(all) => ShowCollectionsResponse {
            status: Some(success()),
            collection_names: all.iter().map(|c| c.name.clone()).collect(),
            collection_ids: all.iter().map(|c| c.id).collect(),
            created_timestamps: all.iter().map(|c| hybrid(c.created_ms)).collect(),
            created_utc_timestamps: all.iter().map(|c| c.created_ms).collect(),
            in_memory_percentages: vec![0; all.len()],
            query_service_available: vec![false; all.len()],
            shards_num: vec![1; all.len()],
        },
        Err(e) => ShowCollectionsResponse {
            status: Some(e.to_status()),
            ..Default::default()
        },
    })
}

pub(crate) fn describe(
    sim: &Sim,
    ctx: &Ctx,
    r: DescribeCollectionRequest,
) -> Plan<DescribeCollectionResponse> {
    let db = ctx.db(&r.db_name);
    let found = if r.collection_name.is_empty() && r.collection_id == 0 {
        Err(MilvusError::empty("collection name"))
    } else {
        sim.store
            .find_collection(db, &r.collection_name, r.collection_id)
            .and_then(|c| c.ok_or_else(|| not_found(db, &r.collection_name)))
    };
    reply(match found {
        Ok(c) => DescribeCollectionResponse {
            status: Some(success()),
            schema: Some(schema(&c.name, db)),
            collection_id: c.id,
            virtual_channel_names: vec![format!("by-dev-rootcoord-dml_0_{}v0", c.id)],
            physical_channel_names: vec!["by-dev-rootcoord-dml_0".into()],
            created_timestamp: hybrid(c.created_ms),
            created_utc_timestamp: c.created_ms,
            shards_num: 1,
            consistency_level: ConsistencyLevel::Bounded as i32,
            collection_name: c.name,
            db_name: db.into(),
            num_partitions: 1,
            update_timestamp: hybrid(c.created_ms),
            ..Default::default()
        },
        Err(e) => DescribeCollectionResponse {
            status: Some(e.to_status()),
            ..Default::default()
        },
    })
}

pub(crate) fn drop(sim: &Sim, ctx: &Ctx, r: DropCollectionRequest) -> Plan<MilvusStatus> {
    reply(status_of(
        sim.store
            .drop_collection(ctx.db(&r.db_name), &r.collection_name),
    ))
}

impl ToRecord for HasCollectionRequest {
    fn to_record(&self) -> Value {
        json!({"db_name": self.db_name, "collection_name": self.collection_name})
    }
}

impl ToRecord for ShowCollectionsRequest {
    fn to_record(&self) -> Value {
        json!({"db_name": self.db_name, "type": self.r#type})
    }
}

impl ToRecord for DescribeCollectionRequest {
    fn to_record(&self) -> Value {
        json!({"db_name": self.db_name, "collection_name": self.collection_name,
               "collectionID": self.collection_id.to_string()})
    }
}

impl ToRecord for DropCollectionRequest {
    fn to_record(&self) -> Value {
        json!({"db_name": self.db_name, "collection_name": self.collection_name})
    }
}

impl HasStatus for BoolResponse {
    fn status_code(&self) -> Option<i32> {
        self.status.as_ref().map(|s| s.code)
    }
}

impl HasStatus for ShowCollectionsResponse {
    fn status_code(&self) -> Option<i32> {
        self.status.as_ref().map(|s| s.code)
    }
}

impl HasStatus for DescribeCollectionResponse {
    fn status_code(&self) -> Option<i32> {
        self.status.as_ref().map(|s| s.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RestoreTarget, SnapshotRef};

    fn store(restore_ms: u64) -> Store {
        let timing = Timing {
            tick_ms: 0,
            restore_ms,
            segments: 4,
            retention_ms: 60_000,
        };
        Store::new(timing, &[("default".into(), "books".into())], vec![])
    }

    #[test]
    fn restore_targets_appear_when_their_restore_completes() {
        for (restore_ms, visible_now) in [(60_000, false), (0, true)] {
            let s = store(restore_ms);
            let snap = SnapshotRef {
                db: "default",
                collection: "books",
                name: "s1",
            };
            s.create_snapshot(&snap, "", 0).unwrap();
            let target = RestoreTarget {
                db: "default",
                collection: "books_restored",
            };
            s.restore_snapshot(&snap, &target).unwrap();
            let names: Vec<String> = s
                .collections("default")
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect();
            let want: &[&str] = if visible_now {
                &["books", "books_restored"]
            } else {
                &["books"]
            };
            assert_eq!(names, want, "restore_ms {restore_ms}");
        }
    }

    #[test]
    fn unknown_collections_and_databases() {
        let s = store(0);
        assert_eq!(s.find_collection("default", "nope", 0).unwrap(), None);
        assert_eq!(s.collections("nodb").unwrap_err().code, 800);
        assert_eq!(not_found("default", "x").to_status().code, 100);
        // Dropping is idempotent, as in Milvus.
        s.drop_collection("default", "nope").unwrap();
        s.drop_collection("default", "books").unwrap();
        assert!(s.collections("default").unwrap().is_empty());
    }
}
