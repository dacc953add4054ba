"""pymilvus runs the snapshot lifecycle against milvus-sim; prints one JSON line of what it saw.

Usage: python snapshot_lifecycle.py PORT
"""

import json
import sys
import time

from pymilvus import MilvusClient, MilvusException


def error_of(call):
    try:
        call()
    except MilvusException as e:
        return {"code": e.code, "message": e.message}
    return None


def main():
    port = int(sys.argv[1])
    client = MilvusClient(uri=f"http://127.0.0.1:{port}", token="root:Milvus")
    out = {}

    client.create_snapshot(
        snapshot_name="s1", collection_name="books", description="nightly", compaction_protection_seconds=60
    )
    out["duplicate"] = error_of(lambda: client.create_snapshot(snapshot_name="s1", collection_name="books"))
    out["unknown_collection"] = error_of(lambda: client.create_snapshot(snapshot_name="s", collection_name="nope"))
    out["list"] = client.list_snapshots(collection_name="books")
    info = client.describe_snapshot(snapshot_name="s1", collection_name="books")
    out["describe"] = {"name": info.name, "collection_name": info.collection_name, "create_ts": info.create_ts}

    job_id = client.restore_snapshot(
        snapshot_name="s1", source_collection_name="books", target_collection_name="books_copy"
    )
    out["job_id"] = job_id
    states = []
    deadline = time.time() + 10
    while True:
        state = client.get_restore_snapshot_state(job_id)
        if not states or states[-1] != state.state:
            states.append(state.state)
        if state.state in ("RestoreSnapshotCompleted", "RestoreSnapshotFailed") or time.time() > deadline:
            break
        time.sleep(0.02)
    out["states"] = states
    out["final"] = {
        "job_id": state.job_id,
        "snapshot_name": state.snapshot_name,
        "db_name": state.db_name,
        "collection_name": state.collection_name,
        "progress": state.progress,
        "time_cost": state.time_cost,
    }
    out["target_exists"] = error_of(
        lambda: client.restore_snapshot(
            snapshot_name="s1", source_collection_name="books", target_collection_name="books_copy"
        )
    )
    out["unknown_job"] = error_of(lambda: client.get_restore_snapshot_state(424242))
    out["jobs_all"] = len(client.list_restore_snapshot_jobs())
    out["jobs_filtered"] = len(client.list_restore_snapshot_jobs(collection_name="books_copy"))
    out["jobs_other"] = len(client.list_restore_snapshot_jobs(collection_name="books"))

    pin_id = client.pin_snapshot_data(snapshot_name="s1", collection_name="books", ttl_seconds=60)
    out["pin_id"] = pin_id
    client.unpin_snapshot_data(pin_id)
    client.drop_snapshot(snapshot_name="s1", collection_name="books")
    out["list_after_drop"] = client.list_snapshots(collection_name="books")
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
