// The ESM entry: the CommonJS entry loaded once through `require`, so `import` and `require`
// share one module instance (one addon, one enum object, `instanceof AbortError` agrees).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./index.js')

export const { MilvusClient, RestoreSnapshotState, ErrorCode, AbortError, RestoreSnapshotError } = cjs
export default cjs
