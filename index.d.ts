// The drop-in entry, `milvus-native`: what `@zilliz/milvus2-sdk-node` declares, with
// milvus-native's own declarations (core.d.ts) where it has them. `MilvusClient` is
// milvus-native's class, whose other methods and properties are the official client's: at run
// time they are delegated to an official client (lib/delegate.js). These declarations need the
// official SDK installed; an app that uses only the snapshot API and does not install it
// imports `milvus-native/core` instead (README, "The rest of MilvusClient").

import type { MilvusClient as OfficialMilvusClient } from '@zilliz/milvus2-sdk-node'
import { MilvusClient as NativeMilvusClient } from './core'

export * from '@zilliz/milvus2-sdk-node'
export {
  Int64,
  RestoreSnapshotState,
  ErrorCode,
  ClientConfig,
  GrpcTimeOut,
  ResStatus,
  resStatusResponse,
  collectionNameReq,
  CreateSnapshotReq,
  DropSnapshotReq,
  ListSnapshotsReq,
  ListSnapshotsResponse,
  DescribeSnapshotReq,
  DescribeSnapshotResponse,
  RestoreSnapshotReq,
  RestoreSnapshotResponse,
  GetRestoreSnapshotStateReq,
  RestoreSnapshotJobInfo,
  GetRestoreSnapshotStateResponse,
  ListRestoreSnapshotJobsReq,
  ListRestoreSnapshotJobsResponse,
  PinSnapshotDataReq,
  PinSnapshotDataResponse,
  UnpinSnapshotDataReq,
  WaitForRestoreSnapshotReq,
  GetVersionResponse,
  CheckHealthResponse,
  ServerInfo,
  ConnectResponse,
  ServiceError,
  TopologyError,
  AbortError,
  RestoreSnapshotError,
} from './core'

/** The official client's public methods and properties that milvus-native delegates to it. */
type Delegated = Omit<OfficialMilvusClient, keyof NativeMilvusClient>

/**
 * The official client's surface: the snapshot API, `getVersion`, `checkHealth`, `use` and
 * `closeConnection` run natively (see `milvus-native/core`); every other method and property
 * is the official client's, served by one created on its first use with the same
 * configuration (which loads the official SDK then).
 */
export interface MilvusClient extends Delegated {}
export declare class MilvusClient extends NativeMilvusClient {}
