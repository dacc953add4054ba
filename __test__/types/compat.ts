// Type compatibility with the official SDK (compiled with `tsc --noEmit --strict`, never run).
// For the nine snapshot methods: the official request types are accepted where ours are
// expected, and the response types go both ways. `milvus-native` resolves to this package
// itself (self-reference through package.json `exports`, as a user's import would).

import * as Official from '@zilliz/milvus2-sdk-node'
import * as Native from 'milvus-native'
import { MilvusClient, RestoreSnapshotState } from 'milvus-native'

// ---- helpers ---------------------------------------------------------------------------

type IsAny<T> = 0 extends 1 & T ? true : false
/** Non-distributive assignability. */
type Assignable<From, To> = [From] extends [To] ? true : false
type Both<A, B> = [Assignable<A, B>, Assignable<B, A>] extends [true, true] ? true : false
function expectTrue<T extends true>(): void {}
function expectFalse<T extends false>(): void {}
/** Compiles only when the argument is assignable to `T`: the error names the mismatched field. */
function accepts<T>(_value: T): void {}
declare function value<T>(): T

// ---- the nine methods, generically --------------------------------------------------------

type SnapshotMethod =
  | 'getRestoreSnapshotState'
  | 'createSnapshot'
  | 'dropSnapshot'
  | 'listSnapshots'
  | 'describeSnapshot'
  | 'restoreSnapshot'
  | 'listRestoreSnapshotJobs'
  | 'pinSnapshotData'
  | 'unpinSnapshotData'

type Fn = (...args: any[]) => any
type ReqOf<C, M extends keyof C> = C[M] extends Fn ? NonNullable<Parameters<C[M]>[0]> : never
type ResOf<C, M extends keyof C> = C[M] extends Fn ? Awaited<ReturnType<C[M]>> : never

/** For each method: official request → ours; response both ways. */
type MethodCompat = {
  [M in SnapshotMethod]: [
    Assignable<ReqOf<Official.MilvusClient, M>, ReqOf<Native.MilvusClient, M>>,
    Both<ResOf<Official.MilvusClient, M>, ResOf<Native.MilvusClient, M>>,
    IsAny<ReqOf<Native.MilvusClient, M>>,
    IsAny<ResOf<Native.MilvusClient, M>>,
  ]
}
type Expected = { [M in SnapshotMethod]: [true, true, false, false] }
expectTrue<Both<MethodCompat, Expected>>()

// ---- the nine methods, by named type (errors here point at the field) ----------------------

accepts<Native.GetRestoreSnapshotStateReq>(value<Official.GetRestoreSnapshotStateReq>())
accepts<Native.CreateSnapshotReq>(value<Official.CreateSnapshotReq>())
accepts<Native.DropSnapshotReq>(value<Official.DropSnapshotReq>())
accepts<Native.ListSnapshotsReq>(value<Official.ListSnapshotsReq>())
accepts<Native.DescribeSnapshotReq>(value<Official.DescribeSnapshotReq>())
accepts<Native.RestoreSnapshotReq>(value<Official.RestoreSnapshotReq>())
accepts<Native.ListRestoreSnapshotJobsReq>(value<Official.ListRestoreSnapshotJobsReq>())
accepts<Native.PinSnapshotDataReq>(value<Official.PinSnapshotDataReq>())
accepts<Native.UnpinSnapshotDataReq>(value<Official.UnpinSnapshotDataReq>())
accepts<Native.GrpcTimeOut>(value<Official.GrpcTimeOut>())

accepts<Native.GetRestoreSnapshotStateResponse>(value<Official.GetRestoreSnapshotStateResponse>())
accepts<Official.GetRestoreSnapshotStateResponse>(value<Native.GetRestoreSnapshotStateResponse>())
accepts<Native.ResStatus>(value<Official.ResStatus>())
accepts<Official.ResStatus>(value<Native.ResStatus>())
accepts<Native.resStatusResponse>(value<Official.resStatusResponse>())
accepts<Official.resStatusResponse>(value<Native.resStatusResponse>())
accepts<Native.ListSnapshotsResponse>(value<Official.ListSnapshotsResponse>())
accepts<Official.ListSnapshotsResponse>(value<Native.ListSnapshotsResponse>())
accepts<Native.DescribeSnapshotResponse>(value<Official.DescribeSnapshotResponse>())
accepts<Official.DescribeSnapshotResponse>(value<Native.DescribeSnapshotResponse>())
accepts<Native.RestoreSnapshotResponse>(value<Official.RestoreSnapshotResponse>())
accepts<Official.RestoreSnapshotResponse>(value<Native.RestoreSnapshotResponse>())
accepts<Native.RestoreSnapshotJobInfo>(value<Official.RestoreSnapshotJobInfo>())
accepts<Official.RestoreSnapshotJobInfo>(value<Native.RestoreSnapshotJobInfo>())
accepts<Native.ListRestoreSnapshotJobsResponse>(value<Official.ListRestoreSnapshotJobsResponse>())
accepts<Official.ListRestoreSnapshotJobsResponse>(value<Native.ListRestoreSnapshotJobsResponse>())
accepts<Native.PinSnapshotDataResponse>(value<Official.PinSnapshotDataResponse>())
accepts<Official.PinSnapshotDataResponse>(value<Native.PinSnapshotDataResponse>())

// The client basics: what ours resolves with fits the official declarations.
accepts<Official.GetVersionResponse>(value<Native.GetVersionResponse>())
accepts<Official.CheckHealthResponse['isHealthy']>(value<Native.CheckHealthResponse['isHealthy']>())
accepts<Official.ServerInfo>(value<Native.ServerInfo>())
accepts<Native.ServerInfo>(value<Official.ServerInfo>())
async function awaitsConnect(c: MilvusClient): Promise<void> {
  await c.connectPromise // the official declares Promise<void>; ours resolves with the reply
  const id: string = (await c.connectPromise).identifier
  void id
}
void awaitsConnect

// The configuration: every official option is accepted (`logLevel` is narrowed to the four
// names the official logger knows; any other value throws at construction).
accepts<Native.ClientConfig>(value<Omit<Official.ClientConfig, 'logLevel'>>())
accepts<Native.ClientConfig>({ ...value<Official.ClientConfig>(), logLevel: 'debug' })
accepts<Native.ClientConfig['tls']>(value<Official.ClientConfig['tls']>())

// ---- enums ----------------------------------------------------------------------------------

// Same members, and each package's members are valid `state` values of the other's info.
expectTrue<Both<keyof typeof Official.RestoreSnapshotState, keyof typeof Native.RestoreSnapshotState>>()
expectTrue<Assignable<keyof typeof Official.ErrorCode, keyof typeof Native.ErrorCode>>()
accepts<Native.RestoreSnapshotJobInfo['state']>(Official.RestoreSnapshotState.RestoreSnapshotNone)
accepts<Native.RestoreSnapshotJobInfo['state']>(Official.RestoreSnapshotState.RestoreSnapshotPending)
accepts<Native.RestoreSnapshotJobInfo['state']>(Official.RestoreSnapshotState.RestoreSnapshotExecuting)
accepts<Native.RestoreSnapshotJobInfo['state']>(Official.RestoreSnapshotState.RestoreSnapshotCompleted)
accepts<Native.RestoreSnapshotJobInfo['state']>(Official.RestoreSnapshotState.RestoreSnapshotFailed)
accepts<Official.RestoreSnapshotJobInfo['state']>(Native.RestoreSnapshotState.RestoreSnapshotNone)
accepts<Official.RestoreSnapshotJobInfo['state']>(Native.RestoreSnapshotState.RestoreSnapshotPending)
accepts<Official.RestoreSnapshotJobInfo['state']>(Native.RestoreSnapshotState.RestoreSnapshotExecuting)
accepts<Official.RestoreSnapshotJobInfo['state']>(Native.RestoreSnapshotState.RestoreSnapshotCompleted)
accepts<Official.RestoreSnapshotJobInfo['state']>(Native.RestoreSnapshotState.RestoreSnapshotFailed)
// ... and the plain string literals.
accepts<Native.RestoreSnapshotJobInfo['state']>('RestoreSnapshotCompleted')
// Enum members are string literals with the same value.
const completed: 'RestoreSnapshotCompleted' = Native.RestoreSnapshotState.RestoreSnapshotCompleted
const success: 'Success' = Native.ErrorCode.SUCCESS
const notReady: 'NotReadyServe' = Native.ErrorCode.NotReadyServe
void [completed, success, notReady]

function compareAcross(o: Official.RestoreSnapshotJobInfo, n: Native.RestoreSnapshotJobInfo): boolean {
  return (
    o.state === Native.RestoreSnapshotState.RestoreSnapshotFailed ||
    n.state === Official.RestoreSnapshotState.RestoreSnapshotFailed ||
    n.state === o.state
  )
}
void compareAcross

// ---- the quickstart of SPEC §1, and code written for the official SDK -------------------

async function quickstart(): Promise<void> {
  const client = new MilvusClient({ address: 'localhost:19530', token: 'root:Milvus' })
  const res = await client.getRestoreSnapshotState({ job_id: '4471', timeout: 5000, client_request_id: 'trace-1' })
  if (res.info?.state === RestoreSnapshotState.RestoreSnapshotCompleted) {
    /* ... */
  }
}
void quickstart

/** A function written for the official client, handed ours by a structural type. */
async function writtenForOfficial(
  client: Pick<Official.MilvusClient, SnapshotMethod>,
): Promise<Official.RestoreSnapshotJobInfo | undefined> {
  const { job_id } = await client.restoreSnapshot({
    snapshot_name: 's',
    source_collection_name: 'a',
    target_collection_name: 'b',
  })
  const res = await client.getRestoreSnapshotState({ job_id })
  return res.info
}

async function everyMethod(c: MilvusClient, signal: AbortSignal): Promise<void> {
  // Ours satisfies the official client's declarations of the nine methods.
  await writtenForOfficial(c)

  const created: Native.ResStatus = await c.createSnapshot({
    collection_name: 'c',
    snapshot_name: 's',
    description: 'd',
    compaction_protection_seconds: 3600n,
  })
  const dropped: Official.ResStatus = await c.dropSnapshot({ collection_name: 'c', snapshot_name: 's', db_name: 'db' })
  const listed: Official.ListSnapshotsResponse = await c.listSnapshots({ collection_name: 'c', signal })
  const described: Official.DescribeSnapshotResponse = await c.describeSnapshot({ collection_name: 'c', snapshot_name: 's' })
  const restored: Official.RestoreSnapshotResponse = await c.restoreSnapshot({
    snapshot_name: 's',
    source_collection_name: 'c',
    target_collection_name: 't',
    source_db_name: 'a',
    target_db_name: 'b',
    'client-request-id': 'r1',
  })
  const jobs: Official.ListRestoreSnapshotJobsResponse = await c.listRestoreSnapshotJobs()
  const pinned: Official.PinSnapshotDataResponse = await c.pinSnapshotData({
    collection_name: 'c',
    snapshot_name: 's',
    ttl_seconds: '600',
  })
  const unpinned: Official.ResStatus = await c.unpinSnapshotData({ pin_id: BigInt(pinned.pin_id) })
  const state: Official.GetRestoreSnapshotStateResponse = await c.getRestoreSnapshotState({ job_id: restored.job_id })
  const info: Native.RestoreSnapshotJobInfo = await c.waitForRestoreSnapshot({
    job_id: restored.job_id,
    timeout: 60_000,
    interval: 500,
    signal,
    onProgress: (i) => console.log(i.state, i.progress),
    onPollError: (e, { failures, retryInMs }) =>
      console.log(e.code === 'ERR_MILVUS_TOPOLOGY' ? e.url : e.details, failures.toFixed(), retryInMs.toFixed()),
  })
  const version: string = (await c.getVersion()).version
  const healthy: boolean = (await c.checkHealth({ timeout: 1000 })).isHealthy
  await c.use({ db_name: 'db' })
  await c.useDatabase()
  const closed: number = await c.closeConnection()
  void [created, dropped, listed, described, jobs, unpinned, state, info, version, healthy, closed]
}
void everyMethod

function constructors(): MilvusClient[] {
  const either: Native.ClientConfig | string = 'localhost:19530'
  return [
    new MilvusClient('localhost:19530'),
    new MilvusClient('localhost:19530', true, 'root', 'Milvus', {}),
    new MilvusClient(either),
    new MilvusClient({
      address: 'https://localhost:19530',
      timeout: '10s',
      maxRetries: 0,
      retryDelay: 5,
      database: 'db',
      tls: { rootCertPath: 'ca.pem', serverName: 'milvus', skipCertCheck: false },
      requireMilvus3: true,
      logLevel: 'debug',
      __SKIP_CONNECT__: true,
    }),
  ]
}
void constructors

function errors(e: unknown): string | undefined {
  if (e instanceof Native.AbortError) {
    const code: 'ABORT_ERR' = e.code
    return code
  }
  if (e instanceof Native.RestoreSnapshotError) {
    const reason: string | undefined = e.info?.reason
    const status: number | undefined = e.status?.code
    return e.code === 'RESTORE_FAILED' ? reason : e.code === 'RESTORE_STATUS' ? String(status) : e.message
  }
  const se = e as Native.ServiceError
  return `${se.code} ${se.details}`
}
void errors

// ---- negative checks: these must NOT compile (so the types are not `any`) -----------------

expectFalse<IsAny<Native.ClientConfig>>()
expectFalse<IsAny<Native.MilvusClient>>()
expectFalse<IsAny<Native.RestoreSnapshotJobInfo>>()
expectFalse<IsAny<Official.RestoreSnapshotJobInfo>>()

async function negatives(c: MilvusClient): Promise<void> {
  // @ts-expect-error job_id is required
  await c.getRestoreSnapshotState({})
  // @ts-expect-error job_id is an int64: number, string or bigint, not an object
  await c.getRestoreSnapshotState({ job_id: {} })
  // @ts-expect-error snapshot_name is required
  await c.createSnapshot({ collection_name: 'c' })
  // @ts-expect-error onPollError's second argument is an object, not a number
  await c.waitForRestoreSnapshot({ job_id: 1, onPollError: (_e, retryInMs: number) => retryInMs })
  // @ts-expect-error not a state
  accepts<Native.RestoreSnapshotJobInfo['state']>('Completed')
  // @ts-expect-error a plain string is not an enum member
  accepts<Native.RestoreSnapshotState>('RestoreSnapshotCompleted')
  // @ts-expect-error address is required
  new MilvusClient({ token: 'root:Milvus' })
  // @ts-expect-error not one of the logger's levels
  new MilvusClient({ address: 'a', logLevel: 'verbose' })
  const res = await c.getRestoreSnapshotState({ job_id: 1 })
  // @ts-expect-error int64 replies are strings
  const n: number = res.info.job_id
  void n
  // @ts-expect-error ours is wider than the official: a bigint is not an official job_id
  accepts<Official.GetRestoreSnapshotStateReq>({ job_id: 1n })
}
void negatives
