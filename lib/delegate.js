'use strict'
// The rest of MilvusClient (SPEC §7 item 20): every public method and property of the official
// client that milvus-native does not serve natively goes to an official client, created on the
// first such use with the configuration the user gave (and the database of the last `use()`).
// The names come from lib/official-surface.js, so defining them loads nothing; the official
// SDK is required only when a delegated method or export is first used.

const surface = require('./official-surface.js')

const SDK = '@zilliz/milvus2-sdk-node'

let sdk // the loaded SDK, once
let closedError // index.js's "client is closed" error, given to install()

/** The error of a delegated method or export when the official SDK cannot be resolved. */
function missingSdkError(what, cause) {
  const e = new Error(
    `${what} is served by the official Milvus SDK, which is not installed: run \`npm install ${SDK}\` ` +
      '(milvus-native runs only the snapshot API natively).',
    { cause }
  )
  e.code = 'ERR_MILVUS_SDK_MISSING'
  return e
}

/** The official SDK's module. Throws missingSdkError when it is not installed. */
function loadSdk(what) {
  if (sdk === undefined) {
    try {
      require.resolve(SDK)
    } catch (e) {
      throw missingSdkError(what, e)
    }
    // Installed: any other failure is the SDK's own and surfaces as it is.
    sdk = require(SDK)
  }
  return sdk
}

// The client's delegate, made on first use. `client.config` is what the user passed (the
// positional form already folded into an object); the official constructor gets a copy.
function official(client, what) {
  let c = client._official
  if (c === undefined) {
    if (client._closed) throw closedError()
    const { MilvusClient } = loadSdk(what)
    c = new MilvusClient({ ...client.config })
    // The official client's handshake promise has no handler of its own: a failed handshake
    // (wrong credentials, say) would be an unhandled rejection, which ends a Node process. As
    // for milvus-native's own `connectPromise`, it is handled here; calls still see the failure.
    if (c.connectPromise instanceof Promise) c.connectPromise.catch(() => {})
    // `use()` before the delegate existed: the official use() sets its database header at once.
    if (client._db !== undefined) c.use({ db_name: client._db })
    client._official = c
  }
  return c
}

function asyncMethod(name) {
  const what = `MilvusClient.${name}()`
  return {
    [name](...args) {
      let c
      try {
        c = official(this, what)
      } catch (e) {
        return Promise.reject(e)
      }
      return c[name](...args)
    },
  }[name]
}

function syncMethod(name) {
  const what = `MilvusClient.${name}()`
  return {
    [name](...args) {
      return official(this, what)[name](...args)
    },
  }[name]
}

/**
 * Defines the delegated methods and properties on `Client.prototype` (those it does not
 * define itself) and the official exports on `exports` (those it does not have) as lazy getters.
 * After `closeConnection()`, a delegated method whose delegate was never made fails with
 * `options.closedError()`, as the native methods do.
 */
function install(Client, exports, options) {
  closedError = options.closedError
  const proto = Client.prototype
  for (const [name, kind] of Object.entries(surface.methods)) {
    if (name in proto) continue
    Object.defineProperty(proto, name, {
      value: kind === 'sync' ? syncMethod(name) : asyncMethod(name),
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
  for (const name of surface.properties) {
    if (name in proto || name === 'config') continue
    const what = `MilvusClient.${name}`
    Object.defineProperty(proto, name, {
      get() {
        return official(this, what)[name]
      },
      set(v) {
        official(this, what)[name] = v
      },
      configurable: true,
      enumerable: false,
    })
  }
  for (const name of surface.exports) {
    if (Object.prototype.hasOwnProperty.call(exports, name)) continue
    Object.defineProperty(exports, name, {
      get() {
        return loadSdk(`The export \`${name}\``)[name]
      },
      configurable: true,
      enumerable: true,
    })
  }
}

/** Closes the delegate, if one was made. */
function closeDelegate(client) {
  return client._official === undefined ? undefined : client._official.closeConnection()
}

module.exports = { install, closeDelegate, SDK }
