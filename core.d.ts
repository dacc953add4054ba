// Hand-written declarations of milvus-native's own surface: `milvus-native/core` (the entry
// for apps that use only the snapshot API and may not have the official SDK installed). The
// drop-in entry `milvus-native` (index.d.ts) re-exports all of this, plus the official SDK's
// declarations for everything it delegates. The shapes follow the declarations of
// `@zilliz/milvus2-sdk-node` 3.0.x field for field, so values typed with either package are
// interchangeable (checked by `__test__/types/compat.ts`). The addon's own generated
// declarations are `binding.d.ts` and are not part of the public surface.

/**
 * An int64 request field: a safe-integer `number`, a decimal `string` (the whole int64 range,
 * no precision loss) or a `bigint`. Anything else (`'abc'`, `''`, `1.5`, `NaN`, out of range)
 * rejects with an error naming the field. The official SDK accepts `number | string` only.
 */
export type Int64 = number | string | bigint

/** State of a snapshot restore job. Keys equal values, as in the official enum. */
export declare enum RestoreSnapshotState {
  RestoreSnapshotNone = 'RestoreSnapshotNone',
  RestoreSnapshotPending = 'RestoreSnapshotPending',
  RestoreSnapshotExecuting = 'RestoreSnapshotExecuting',
  RestoreSnapshotCompleted = 'RestoreSnapshotCompleted',
  RestoreSnapshotFailed = 'RestoreSnapshotFailed',
}

/**
 * Legacy Milvus error codes, as found in `ResStatus.error_code`. The members of the official
 * enum (note `SUCCESS`, whose value is `'Success'`), plus `NotReadyServe`.
 */
export declare enum ErrorCode {
  SUCCESS = 'Success',
  IndexNotExist = 'IndexNotExist',
  UnexpectedError = 'UnexpectedError',
  EmptyCollection = 'EmptyCollection',
  UpsertAutoIDTrue = 'UpsertAutoIDTrue',
  CollectionNotExists = 'CollectionNotExists',
  IllegalArgument = 'IllegalArgument',
  RateLimit = 'RateLimit',
  SchemaMismatch = 'SchemaMismatch',
  NotReadyServe = 'NotReadyServe',
}

/**
 * Options of the client. Every field but `address` is optional. Options marked "ignored" are
 * accepted so that configurations written for the official SDK work unchanged, but have no
 * effect on the native methods. A malformed value of a known option throws at construction.
 * The official client behind the delegated methods (`milvus-native`) gets all of them.
 */
export interface ClientConfig {
  /** Ignored (the official SDK uses it to name the client). */
  id?: string
  /**
   * `host:port` of the Milvus server. A leading `http://` or `https://` is stripped;
   * `https://` turns on TLS. Required: a missing address throws
   * ``The `address` property is missing.``.
   */
  address: string
  /** Sent as the `authorization` header (base64). Takes priority over `username`/`password`. */
  token?: string
  /** Use TLS. Default `false` (or `true` for an `https://` address). */
  ssl?: boolean
  /** With `password`, sent as the `authorization` header (base64 of `username:password`). */
  username?: string
  /** See `username`. */
  password?: string
  /**
   * grpc-js channel options. Applied: `grpc.keepalive_time_ms`, `grpc.keepalive_timeout_ms`,
   * `grpc.keepalive_permit_without_calls`, `grpc.max_receive_message_length`,
   * `grpc.max_send_message_length`, `grpc.primary_user_agent`, `grpc.secondary_user_agent`,
   * `grpc.ssl_target_name_override`; the other keys tune grpc-js itself and are not applied.
   */
  channelOptions?: object
  /** Extra key/value pairs sent in the `Connect` handshake's `client_info.reserved`. */
  option?: Record<string, string>
  /**
   * Default deadline of each call, in milliseconds, or a time token (`'10s'`, `'2m'`, `'1h'`,
   * `'1d'`; `'0s'` means no limit, i.e. 24 hours). It covers connecting too. Default `15000`.
   * A call's own `timeout` takes priority.
   */
  timeout?: number | string
  /** How many times a failed attempt is retried (transient gRPC codes only). Default `3`. */
  maxRetries?: number
  /** Base delay of the retry backoff, in milliseconds: retry n waits `2^n * retryDelay`. Default `10`. */
  retryDelay?: number
  /** Database of every call (the `dbname` header). Default `'default'`; change it with `use()`. */
  database?: string
  /**
   * `'debug'` writes one line per call attempt to stderr (method, attempt, gRPC code,
   * milliseconds); other levels write nothing. The environment variable
   * `MILVUS_NATIVE_LOG=debug` does the same. Any other value throws at construction.
   */
  logLevel?: 'error' | 'warn' | 'info' | 'debug'
  /** Ignored. */
  logPrefix?: string
  /** TLS settings. Setting any of them does not by itself turn TLS on: use `ssl` or `https://`. */
  tls?: {
    /** Path of a PEM file with the CA certificate(s) to trust (one-way TLS with a custom CA). */
    rootCertPath?: string
    /** PEM text of the CA certificate(s) to trust. */
    rootCert?: string | Uint8Array
    /** Path of the client's PEM private key (mutual TLS, with `certChainPath`/`certChain`). */
    privateKeyPath?: string
    /** PEM text of the client's private key. */
    privateKey?: string | Uint8Array
    /** Path of the client's PEM certificate chain (mutual TLS). */
    certChainPath?: string
    /** PEM text of the client's certificate chain. */
    certChain?: string | Uint8Array
    /**
     * grpc-js's `VerifyOptions`, applied whenever TLS is on (the official SDK applies them with
     * mutual TLS only). `rejectUnauthorized: false`: the chain is not verified (as
     * `skipCertCheck`). `checkServerIdentity(hostname, cert)` replaces the host-name check: it
     * gets `serverName` (or the address's host) and Node's `PeerCertificate` shape, runs on
     * the JS thread before any request is sent on the connection, and a returned `Error` (or a
     * throw) refuses the connection with its message (code 14 after the retries).
     */
    verifyOptions?: {
      rejectUnauthorized?: boolean
      checkServerIdentity?: (hostname: string, cert: import('node:tls').PeerCertificate) => Error | undefined
      [key: string]: any
    }
    /** Name to verify the server's certificate against, instead of the address's host. */
    serverName?: string
    /** Do not verify the server's certificate. For tests only. Default `false`. */
    skipCertCheck?: boolean
  }
  /** Connection pool options of the official SDK. Ignored: one multiplexed HTTP/2 channel serves all calls. */
  pool?: object
  /** Do not start the `Connect` handshake at construction. Default `false`. */
  __SKIP_CONNECT__?: boolean
  /** protobufjs loader options. Ignored: replies are always decoded as the official defaults do. */
  loaderOptions?: object
  /**
   * Each call starts a span of the tracer `milvus-node-client` (through `@opentelemetry/api`,
   * an optional peer dependency) in the caller's context and sends the propagator's
   * `traceparent` / `tracestate` headers, as the official SDK does; each poll of
   * `waitForRestoreSnapshot` gets a span of its own. Default `false`.
   */
  trace?: boolean
  /** Ignored: the native methods send no telemetry (the official client behind delegated methods does). */
  telemetry?: object
  /**
   * Global-cluster mode: `address` is the global endpoint; calls go to the primary cluster its
   * topology names, and fail over when it moves (README, "Global clusters"). Default: whether
   * the address contains `global-cluster`.
   */
  isGlobal?: boolean
  /**
   * milvus-native only. When the server does not implement a method (a Milvus older than 3.0),
   * reject with a `12 UNIMPLEMENTED ... requires Milvus 3.0` error instead of resolving `{}` as
   * the official SDK does. Default `false`.
   */
  requireMilvus3?: boolean
}

/** Per-call options, accepted by every request. None of them is sent as a request field. */
export interface GrpcTimeOut {
  /** Deadline of this call in milliseconds (retries included). Default: the client's `timeout`. */
  timeout?: number
  /** Sent as the `client-request-id` header. Takes priority over `'client-request-id'`. */
  client_request_id?: string
  /** Sent as the `client-request-id` header when `client_request_id` is not given. */
  'client-request-id'?: string
  /** Ignored (global cluster routing of the official SDK). */
  cluster_id?: string
  /**
   * milvus-native only. Aborting rejects the call at once with an {@link AbortError} and
   * cancels the RPC on the wire; an already aborted signal rejects before anything is sent.
   */
  signal?: AbortSignal
}

/** The `status` of a reply. A non-zero `code` is a Milvus error: the call still resolves. */
export interface ResStatus {
  /** Extra details; `{ is_input_error: 'true' }` on input errors. */
  extra_info: Record<string, any>
  /** Legacy code, by name (`'Success'`, `'UnexpectedError'`, ...; see {@link ErrorCode}); a number the proto does not know stays a number. */
  error_code: string | number
  /** Error message; `''` on success. */
  reason: string
  /** Milvus error code; `0` on success. Always present in resolved values. */
  code?: number
  /** Whether retrying the call may succeed. */
  retriable: boolean
  /** Repeats `reason`. */
  detail: string
}

/** A reply made of a status only. */
export interface resStatusResponse {
  status: ResStatus
}

/** Requests that name a collection. */
export interface collectionNameReq extends GrpcTimeOut {
  /** Name of the collection. */
  collection_name: string
  /** Database of the collection. Default: the client's database. */
  db_name?: string
}

/** Request of `createSnapshot`. */
export interface CreateSnapshotReq extends collectionNameReq {
  /** Name of the new snapshot; unique per collection. */
  snapshot_name: string
  /** Free text stored with the snapshot. Default `''`. */
  description?: string
  /** Seconds during which compaction keeps the snapshot's data, in [0, 604800]. Default `0`. */
  compaction_protection_seconds?: Int64
}

/** Request of `dropSnapshot`. Dropping an unknown snapshot succeeds. */
export interface DropSnapshotReq extends collectionNameReq {
  /** Name of the snapshot to drop. */
  snapshot_name: string
}

/** Request of `listSnapshots`. */
export interface ListSnapshotsReq extends collectionNameReq {}

/** Reply of `listSnapshots`. */
export interface ListSnapshotsResponse extends resStatusResponse {
  /** Names of the collection's snapshots. */
  snapshots: string[]
}

/** Request of `describeSnapshot`. */
export interface DescribeSnapshotReq extends collectionNameReq {
  /** Name of the snapshot. */
  snapshot_name: string
}

/** Reply of `describeSnapshot`. */
export interface DescribeSnapshotResponse extends resStatusResponse {
  /** Name of the snapshot. */
  name: string
  description: string
  /** The snapshotted collection. */
  collection_name: string
  partition_names: string[]
  /** Creation timestamp, int64 as a decimal string. */
  create_ts: string
  /** Where the snapshot's data lives in object storage. */
  s3_location: string
}

/** Request of `restoreSnapshot`: copies a snapshot into a new collection. */
export interface RestoreSnapshotReq extends GrpcTimeOut {
  /** Name of the snapshot to restore. */
  snapshot_name: string
  /** The collection the snapshot was taken of. */
  source_collection_name: string
  /** The collection to create; it must not exist. */
  target_collection_name: string
  /** Database of the source collection. Default: the client's database. */
  source_db_name?: string
  /** Database of the target collection. Default: the source collection's database. */
  target_db_name?: string
}

/** Reply of `restoreSnapshot`. */
export interface RestoreSnapshotResponse extends resStatusResponse {
  /** Id of the restore job (int64 as a decimal string); `'0'` on an error status. */
  job_id: string
}

/** Request of `getRestoreSnapshotState`. */
export interface GetRestoreSnapshotStateReq extends GrpcTimeOut {
  /** Id of the restore job, as returned by `restoreSnapshot`. */
  job_id: Int64
}

/** State of a restore job. */
export interface RestoreSnapshotJobInfo {
  /** Id of the job, int64 as a decimal string. */
  job_id: string
  /** The snapshot being restored. */
  snapshot_name: string
  /** Database of the restore target. */
  db_name: string
  /** The restore target collection. */
  collection_name: string
  /** State by name; compare with the {@link RestoreSnapshotState} members. */
  state: RestoreSnapshotState | keyof typeof RestoreSnapshotState
  /** Percentage of data copied, an integer 0–100 (100 when there is nothing to copy). */
  progress: number
  /** Why the job failed; `''` otherwise. */
  reason: string
  /** Creation time of the job, Unix milliseconds as a decimal string. */
  start_time: string
  /** Duration in milliseconds as a decimal string, set on completion; `'0'` otherwise. */
  time_cost: string
}

/** Reply of `getRestoreSnapshotState`. */
export interface GetRestoreSnapshotStateResponse extends resStatusResponse {
  /**
   * The job. At run time it is `null` when `status.code` is not 0 (e.g. an unknown job), as with
   * the official SDK; typed without `null` like the official declarations, so test it with `?.`.
   */
  info: RestoreSnapshotJobInfo
}

/** Request of `listRestoreSnapshotJobs`. Without filters, lists every job the server remembers. */
export interface ListRestoreSnapshotJobsReq extends GrpcTimeOut {
  /** Only jobs restoring into this database. */
  db_name?: string
  /** Only jobs restoring into this collection. */
  collection_name?: string
}

/** Reply of `listRestoreSnapshotJobs`. */
export interface ListRestoreSnapshotJobsResponse extends resStatusResponse {
  jobs: RestoreSnapshotJobInfo[]
}

/** Request of `pinSnapshotData`: keeps a snapshot's data from garbage collection. */
export interface PinSnapshotDataReq extends collectionNameReq {
  /** Name of the snapshot. */
  snapshot_name: string
  /** Lifetime of the pin in seconds, in [0, 2592000]. Default `0` (the server's default). */
  ttl_seconds?: Int64
}

/** Reply of `pinSnapshotData`. */
export interface PinSnapshotDataResponse extends resStatusResponse {
  /** Id of the pin, int64 as a decimal string; pass it to `unpinSnapshotData`. */
  pin_id: string
}

/** Request of `unpinSnapshotData`. Unpinning an unknown pin succeeds. */
export interface UnpinSnapshotDataReq extends GrpcTimeOut {
  /** Id returned by `pinSnapshotData`. */
  pin_id: Int64
}

/**
 * Request of `waitForRestoreSnapshot` (milvus-native only). Polling runs in the addon, with no
 * JavaScript timer per poll.
 */
export interface WaitForRestoreSnapshotReq {
  /** Id of the restore job, as returned by `restoreSnapshot`. */
  job_id: Int64
  /** Bound on the whole wait, in milliseconds. Default `600000` (10 minutes). */
  timeout?: number
  /** Pause between two polls, in milliseconds (at least 1). Default `1000`. */
  interval?: number
  /** Aborting rejects the wait at once with an {@link AbortError}. */
  signal?: AbortSignal
  /** Called with the job's info on each change of state or progress (first poll included). */
  onProgress?: (info: RestoreSnapshotJobInfo) => void
  /**
   * Called with each poll that failed with `14 UNAVAILABLE` or its own `4 DEADLINE_EXCEEDED`
   * (in global mode also a topology fetch that failed after its retries, or named no writable
   * cluster) and will be retried: the error (as a rejection would carry it), how many polls in
   * a row have failed, and the pause in ms before the next one.
   */
  onPollError?: (error: ServiceError | TopologyError, retry: { failures: number; retryInMs: number }) => void
}

/** Reply of `getVersion`. */
export interface GetVersionResponse {
  status: ResStatus
  /** Version of the server, e.g. `'v3.0.0'`. */
  version: string
}

/** Reply of `checkHealth`. */
export interface CheckHealthResponse {
  status: ResStatus
  isHealthy: boolean
  /** Why the server is unhealthy; empty when healthy. */
  reasons: string[]
  /** Quota states by name (`'ReadLimited'`, ...); a number the proto does not know stays a number. */
  quota_states: Array<string | number>
}

/** Build details of the server, from the `Connect` handshake. */
export interface ServerInfo {
  build_tags?: string
  build_time?: string
  git_commit?: string
  go_version?: string
  /** e.g. `'CLUSTER'` or `'STANDALONE'`. */
  deploy_mode?: string
  reserved?: { [key: string]: any }
}

/** Reply of the `Connect` handshake: what `connectPromise` resolves with. */
export interface ConnectResponse {
  status: ResStatus
  /** `null` when the server sent none. */
  server_info: ServerInfo | null
  /** Id of this client on the server (int64 as a decimal string), sent as the `identifier` header. */
  identifier: string
}

/**
 * How a failed RPC rejects: an `Error` with grpc-js's ServiceError fields.
 * `message` is `"<code> <CODE_NAME>: <details>"`, e.g. `'14 UNAVAILABLE: ...'`; after retries the
 * details end with ` (retried N times, Tms)`. A local deadline is code 4 (DEADLINE_EXCEEDED).
 */
export interface ServiceError extends Error {
  /** gRPC status code (e.g. 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 16 UNAUTHENTICATED). */
  code: number
  details: string
  /** Trailing metadata of the reply. */
  metadata: Record<string, string>
}

/**
 * Global mode (`isGlobal`, milvus-native's shape): how a call rejects when the client has no
 * primary to call, because the topology could not be fetched or names no writable cluster.
 */
export interface TopologyError extends Error {
  code: 'ERR_MILVUS_TOPOLOGY'
  /** The topology URL, e.g. `'https://in01-x.global-cluster.example.com/global-cluster/topology'`. */
  url: string
  /** HTTP status of the last attempt, when there was a reply. */
  status?: number
}

/**
 * Rejection of an aborted call (milvus-native only), shaped like Node's own: `name` is
 * `'AbortError'`, `code` is `'ABORT_ERR'`, `cause` is the signal's `reason`.
 */
export declare class AbortError extends Error {
  /** `message` defaults to `'The operation was aborted'`. */
  constructor(message?: string, options?: { cause?: unknown })
  name: 'AbortError'
  code: 'ABORT_ERR'
}

/**
 * Rejection of `waitForRestoreSnapshot` (milvus-native only) when the job failed, the server
 * answered with an error status, or the wait ran out of time. Aborts reject with an
 * {@link AbortError} instead, and gRPC failures with a {@link ServiceError}.
 */
export declare class RestoreSnapshotError extends Error {
  constructor(
    message: string,
    code: RestoreSnapshotError['code'],
    reply?: GetRestoreSnapshotStateResponse | null,
  )
  name: 'RestoreSnapshotError'
  /**
   * `'RESTORE_FAILED'`: the job reached `RestoreSnapshotFailed` (see `info.reason`);
   * `'RESTORE_STATUS'`: a Milvus error status, e.g. an unknown job (see `status`);
   * `'RESTORE_TIMEOUT'`: `timeout` ran out while the job was still pending or executing.
   */
  code: 'RESTORE_FAILED' | 'RESTORE_STATUS' | 'RESTORE_TIMEOUT'
  /** Status of the last reply; `null` when no reply came. */
  status: ResStatus | null
  /** Job info of the last reply; `null` when there was none. */
  info: RestoreSnapshotJobInfo | null
  /**
   * `RESTORE_TIMEOUT` during an outage: the last poll's error, gRPC (e.g. `14 UNAVAILABLE`)
   * or, in global mode, a topology fetch's. Absent otherwise.
   */
  cause?: ServiceError | TopologyError
}

/**
 * A Milvus client for the collection snapshot API, a drop-in for the official SDK's
 * `MilvusClient` on these methods.
 *
 * Every method returns a promise in every case: invalid input rejects (with the official
 * message where the official SDK has one) before anything is sent; a Milvus error status
 * (`status.code !== 0`) resolves; a gRPC failure rejects with a {@link ServiceError}. Against a
 * server older than Milvus 3.0 the snapshot methods resolve `{}`, as the official SDK does,
 * unless `requireMilvus3` is set. After `closeConnection()` every call rejects with an error
 * whose `code` is `'ERR_CLIENT_CLOSED'`.
 */
export declare class MilvusClient {
  /**
   * Starts the `Connect` handshake in the background unless `__SKIP_CONNECT__` is set; calls do
   * not wait for it. Throws on a missing address or a malformed option.
   */
  constructor(config: ClientConfig)
  /** The official positional form. `channelOptions` as in `ClientConfig`. */
  constructor(address: string, ssl?: boolean, username?: string, password?: string, channelOptions?: object)
  /** Either form, for a caller holding a `ClientConfig | string`. */
  constructor(configOrAddress: ClientConfig | string, ssl?: boolean, username?: string, password?: string, channelOptions?: object)

  /** The configuration the client was built with (the positional form gathered into one object). */
  readonly config: ClientConfig

  /**
   * Settles when the `Connect` handshake ends: resolves with its reply, rejects if it failed.
   * A failure is never an unhandled rejection, whether or not this is read.
   */
  readonly connectPromise: Promise<ConnectResponse>

  /** State of a restore job. An unknown job resolves with a non-zero `status.code` and `info: null`. */
  getRestoreSnapshotState(data: GetRestoreSnapshotStateReq): Promise<GetRestoreSnapshotStateResponse>
  /** Takes a snapshot of a collection. */
  createSnapshot(data: CreateSnapshotReq): Promise<ResStatus>
  /** Drops a snapshot. */
  dropSnapshot(data: DropSnapshotReq): Promise<ResStatus>
  /** Names of a collection's snapshots. */
  listSnapshots(data: ListSnapshotsReq): Promise<ListSnapshotsResponse>
  /** Details of one snapshot. */
  describeSnapshot(data: DescribeSnapshotReq): Promise<DescribeSnapshotResponse>
  /** Starts restoring a snapshot into a new collection; resolves with the job's id at once. */
  restoreSnapshot(data: RestoreSnapshotReq): Promise<RestoreSnapshotResponse>
  /** Restore jobs, optionally filtered by target database and collection. */
  listRestoreSnapshotJobs(data?: ListRestoreSnapshotJobsReq): Promise<ListRestoreSnapshotJobsResponse>
  /** Pins a snapshot's data; resolves with the pin's id. */
  pinSnapshotData(data: PinSnapshotDataReq): Promise<PinSnapshotDataResponse>
  /** Releases a pin. */
  unpinSnapshotData(data: UnpinSnapshotDataReq): Promise<ResStatus>

  /**
   * milvus-native only. Polls a restore job until it completes, and resolves with its final
   * info. Rejects with a {@link RestoreSnapshotError} carrying the last info/status when the job
   * fails, when the server answers with an error status (e.g. an unknown job), and when
   * `timeout` runs out (a job stuck in Pending or Executing ends in a timeout, never a hang);
   * with an {@link AbortError} on abort. Polls through outages (`14 UNAVAILABLE`, a poll's own
   * `4 DEADLINE_EXCEEDED`) until `timeout`, pausing `interval` doubled per failure in a row (at
   * most 5 s), each reported to `onPollError`; any other gRPC code rejects at once with that
   * error. `onProgress` and `onPollError` run in the caller's async context.
   */
  waitForRestoreSnapshot(data: WaitForRestoreSnapshotReq): Promise<RestoreSnapshotJobInfo>

  /** Version of the server. Waits for the handshake first, as the official client does. */
  getVersion(data?: GrpcTimeOut): Promise<GetVersionResponse>
  /** Health of the server. Waits for the handshake first, as the official client does. */
  checkHealth(data?: GrpcTimeOut): Promise<CheckHealthResponse>
  /** Sets the database (the `dbname` header) of later calls. Default `'default'`. */
  use(data?: { db_name: string }): Promise<{ error_code: string; reason: string }>
  /** Same as `use`. */
  useDatabase(data?: { db_name: string }): Promise<{ error_code: string; reason: string }>
  /**
   * Closes the client: later calls reject with a "client is closed" error. Resolves with `5`
   * (the official `CONNECT_STATUS.SHUTDOWN`). Not needed for the process to exit.
   */
  closeConnection(): Promise<number>
}
