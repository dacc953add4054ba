// The app of issue 17, written as for the official SDK; only the import says milvus-native.
// __test__/delegate-types.test.js compiles it under `tsc --strict` (skipLibCheck off) as it is
// and with the import switched back to '@zilliz/milvus2-sdk-node', then runs both builds
// against milvus-sim and compares what they print. `log` gets every result, or the rejection.

import { MilvusClient, RestoreSnapshotState } from 'milvus-native'

type Log = (step: string, value: unknown) => void

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function restoreAndCheck(address: string, collection: string, log: Log): Promise<void> {
  const client = new MilvusClient({ address })
  const step = async <T>(name: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      const value = await call()
      log(name, value)
      return value
    } catch (e) {
      log(`${name} rejected`, e instanceof Error ? e.message : e)
      return undefined
    }
  }
  try {
    const has = await client.hasCollection({ collection_name: collection })
    log('hasCollection', has)
    if (!has.value) throw new Error(`no collection ${collection}`)

    await step('createSnapshot', () => client.createSnapshot({ collection_name: collection, snapshot_name: 'nightly' }))
    const restored = `${collection}_restored`
    const job = await client.restoreSnapshot({
      snapshot_name: 'nightly',
      source_collection_name: collection,
      target_collection_name: restored,
    })
    log('restoreSnapshot', { ...job, job_id: typeof job.job_id })

    // The restored collection does not exist until the job completes.
    log('hasCollection while restoring', await client.hasCollection({ collection_name: restored }))
    for (;;) {
      const { info } = await client.getRestoreSnapshotState({ job_id: job.job_id })
      if (info?.state === RestoreSnapshotState.RestoreSnapshotCompleted) break
      if (info?.state === RestoreSnapshotState.RestoreSnapshotFailed) throw new Error(`restore failed: ${info.reason}`)
      await sleep(50)
    }

    log('hasCollection restored', await client.hasCollection({ collection_name: restored }))
    const described = await client.describeCollection({ collection_name: restored })
    log('describeCollection', {
      status: described.status,
      fields: described.schema.fields.map((f) => [f.name, f.data_type, f.is_primary_key]),
      consistency_level: described.consistency_level,
    })
    const shown = await client.showCollections()
    log('showCollections', shown.data.map((c) => c.name))
    await step('describeCollection unknown', () => client.describeCollection({ collection_name: 'no_such' }))

    // milvus-sim serves neither: both clients fail the same way there (milvus-lite runs them).
    await step('loadCollection', () => client.loadCollection({ collection_name: restored, timeout: 2000 }))
    await step('query', () =>
      client.query({ collection_name: restored, filter: 'id > 0', output_fields: ['id'], limit: 10, timeout: 2000 })
    )

    await step('dropCollection', () => client.dropCollection({ collection_name: restored }))
    log('hasCollection dropped', await client.hasCollection({ collection_name: restored }))
  } finally {
    await client.closeConnection()
  }
}
