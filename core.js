'use strict'
// `milvus-native/core`: milvus-native's own exports only (no official SDK export), typed by
// core.d.ts, which does not need the official SDK installed. The class is the one of
// `milvus-native`: a method it delegates still works when the official SDK is installed.

const { MilvusClient, RestoreSnapshotState, ErrorCode, AbortError, RestoreSnapshotError } = require('./index.js')

module.exports = { MilvusClient, RestoreSnapshotState, ErrorCode, AbortError, RestoreSnapshotError }
