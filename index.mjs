// The ESM entry: the CommonJS entry loaded once through `require`, so `import` and `require`
// share one module instance (one addon, one enum object, `instanceof AbortError` agrees).
//
// The official SDK's exports are named exports here too, so that `import { DataType } from
// 'milvus-native'` works as it does from '@zilliz/milvus2-sdk-node'. An ES module's bindings get
// their values at import, and reading them from the CommonJS entry loads nothing: a number or a
// string is its value copied from the official SDK, an object or a function a proxy that loads
// the official SDK on first use (lib/lazy-exports.js; the same values `require` gives). The
// list is lib/official-surface.js's `exports` (__test__/types.test.js checks it).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./index.js')

export const { MilvusClient, RestoreSnapshotState, ErrorCode, AbortError, RestoreSnapshotError } = cjs
export default cjs

export const {
  BLOOM_FILTER_DEFAULT_FPR, BLOOM_FILTER_MAX_FPR, BLOOM_FILTER_MIN_FPR, BloomFilterBuilder,
  BulkWriter, CLUSTER_ID, CONNECT_STATUS, ClientTelemetryManager, ClusterCapability,
  CollectionPrivileges, CollectionProperties, ColumnBuffer, CompactionState, ConsistencyLevelEnum,
  DEFAULT_CONNECT_TIMEOUT, DEFAULT_COUNT_QUERY_STRING, DEFAULT_DB, DEFAULT_DYNAMIC_FIELD,
  DEFAULT_HTTP_ENDPOINT_VERSION, DEFAULT_HTTP_TIMEOUT, DEFAULT_MAX_L2_DISTANCE,
  DEFAULT_MAX_RETRIES, DEFAULT_MAX_SEARCH_SIZE, DEFAULT_METRIC_TYPE, DEFAULT_MILVUS_PORT,
  DEFAULT_MIN_COSINE_DISTANCE, DEFAULT_MIN_INT64, DEFAULT_PARTITIONS_NUMBER, DEFAULT_POOL_MAX,
  DEFAULT_POOL_MIN, DEFAULT_PRIMARY_KEY_FIELD, DEFAULT_REFRESH_INTERVAL, DEFAULT_RESOURCE_GROUP,
  DEFAULT_RETRY_DELAY, DEFAULT_TOPK, DEFAULT_VECTOR_FIELD, DataType, DataTypeMap,
  DataTypeStringEnum, DslType, ERROR_REASONS, FAILOVER_HANDLER_KEY, FieldPartialUpdateOpType,
  FunctionType, GLOBAL_CLUSTER_IDENTIFIER, GRPCClient, GlobalPrivileges, HighlightType,
  HttpBaseClient, HttpClient, HttpError, ImportState, IndexState, IndexType, JsonFormatter,
  LOADER_OPTIONS, LoadState, LocalStorage, MAX_PARTITIONS_NUMBER, MAX_PARTITION_KEY_FIELD_COUNT,
  METADATA, MetricType, MilvusClientSession, MsgType, NO_LIMIT, ObjectPrivilege, ObjectType,
  OperatePrivilegeGroupType, OperatePrivilegeType, OperateUserRoleType, ParquetFormatter,
  PlaceholderType, Privileges, RANKER_TYPE, RRFRanker, RbacObjects, RefreshExternalCollectionState,
  RoaringBitmapBuilder, Roles, SegmentLevel, SegmentState, ShowCollectionsType, ShowPartitionsType,
  StateCode, TELEMETRY_MANAGER_KEY, TLS_MODE, TopologyRefresher, UserPrivileges, VectorDataTypes,
  VolumeManager, VolumeType, WeightedRanker, assignTypeParams, bf16BytesToF32Array,
  buildBloomFilter, buildDefaultSchema, buildDynamicRow, buildFieldData, buildFieldDataMap,
  buildHighlighter, buildPlaceholderGroupBytes, buildRoaringBitmap, buildSearchAggregation,
  buildSearchParams, buildSearchRequest, bytesToSparseRow, checkCollectionAndPartitionName,
  checkCollectionFields, checkCollectionFieldsWithOptions, checkCollectionName,
  checkCreateCollectionCompatibility, checkSearchParams, checkTimeParam, cloneObj,
  convertRerankParams, convertToDataType, createFunctionScore, datetimeToHybrids,
  estimateBloomFilterSize, extractMethodName, extractRequestMetadata, f16BytesToF32Array,
  f32ArrayToBf16Bytes, f32ArrayToBinaryBytes, f32ArrayToF16Bytes, f32ArrayToF32Bytes,
  f32ArrayToInt8Bytes, fetchTopology, findKeyValue, formatAddress, formatCollectionSchema,
  formatDescribedCol, formatExprValues, formatFieldSchema, formatFunctionSchema,
  formatKeyValueData, formatNumberPrecision, formatSearchAggregationResult, formatSearchData,
  formatSearchResult, formatStructArrayFieldSchema, getAuthString, getDataKey, getGRPCService,
  getMetaInterceptor, getPKFieldExpr, getPrimaryCluster, getQueryIteratorExpr,
  getRequestMetadataInterceptor, getRetryInterceptor, getSparseDim, getSparseFloatVectorType,
  getTraceInterceptor, getValidDataArray, hybridtsToUnixtime, int8VectorRowsToBytes,
  isGlobalEndpoint, isHybridSearchRequest, isInIgnoreRetryCodes, isInvalidMessage,
  isPrimaryCluster, isValidClientRequestId, isVectorType, logger, newClientRequestId,
  normalizeOrderByFields, parseTimeToken, parseToKeyValue, processScalarData,
  processStructArraysData, processVectorData, promisify, setPoolFailoverHandler,
  setPoolTelemetryManager, sleep, sparseRowsToBytes, sparseToBytes, stringToBase64,
  unixtimeToHybridts, validatePartitionNumbers, withTelemetryLogicalOperation,
  withTelemetrySuppressed,
} = cjs
