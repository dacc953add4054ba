// The ESM form of `milvus-native/core`: the CommonJS module loaded through `require`, as
// index.mjs does, so both entries share one module instance.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./core.js')

export const { MilvusClient, RestoreSnapshotState, ErrorCode, AbortError, RestoreSnapshotError } = cjs
export default cjs
