'use strict'
// The rest of MilvusClient (SPEC §7 item 20): every public method and property of the official
// client that milvus-native does not serve natively goes to an official client, created on the
// first such use with the configuration the user gave (and the database of the last `use()`).
//
// Start-up cost is the point (README, "The rest of MilvusClient"): defining ~350 members one by
// one costs milliseconds on a cold start of a few. So the names are strings (the generated
// lib/official-surface.js), and two proxies answer for them on demand:
// - below MilvusClient.prototype, a proxy whose `get` hands out one delegating function per
//   method name (made once) and reads or writes the delegate's properties; MilvusClient's own
//   members come first in the chain, so the natively served ones never reach it;
// - the module's exports: milvus-native's own, plus the official package's, whose numbers and
//   strings are copied and whose objects and functions are proxies (lib/lazy-exports.js).
// Nothing here loads the official SDK until a delegated method, property or export is used.

// The generated names, read when first needed.
let surface
const names = () => (surface === undefined ? (surface = require('./official-surface.js')) : surface)

const SDK = '@zilliz/milvus2-sdk-node'

const split = (s) => s.split(/\s+/).filter(Boolean)
// Sets of names, made when first needed (a snapshot-only app may never need them).
let SYNC, METHODS, PROPERTIES
function isMethod(key) {
  if (METHODS === undefined) {
    SYNC = new Set(split(names().sync))
    METHODS = new Set([...split(names().async), ...SYNC])
  }
  return METHODS.has(key)
}
// `config` is each client's own property (an inherited setter must not capture it).
function isProperty(key) {
  if (PROPERTIES === undefined) PROPERTIES = new Set(split(names().properties))
  return PROPERTIES.has(key) && key !== 'config'
}

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

// The official client in global mode, once it has a primary (README, "Global clusters").
function globalReady(c) {
  return Promise.resolve(c.connectPromise).catch((e) => {
    if (c.channelPool === undefined) throw e
  })
}

// One function per delegated method name, made on first lookup (so `c.f === c.f`).
const methods = new Map()

function method(name) {
  let f = methods.get(name)
  if (f === undefined) {
    const what = `MilvusClient.${name}()`
    // Object-literal methods: the function's `name` is the official method's.
    f = SYNC.has(name)
      ? {
          [name](...args) {
            return official(this, what)[name](...args)
          },
        }[name]
      : {
          [name](...args) {
            let c
            try {
              c = official(this, what)
            } catch (e) {
              return Promise.reject(e)
            }
            // Global mode: until its topology has arrived the official client has no connection
            // and throws a TypeError; wait for it, and reject with its error if it failed.
            if (c.isGlobal === true && c.channelPool === undefined) return globalReady(c).then(() => c[name](...args))
            return c[name](...args)
          },
        }[name]
    methods.set(name, f)
  }
  return f
}

const prototypeHandler = {
  get(target, key, receiver) {
    if (typeof key === 'string') {
      if (isMethod(key)) return method(key)
      if (isProperty(key)) return official(receiver, `MilvusClient.${key}`)[key]
    }
    return Reflect.get(target, key, receiver)
  },
  set(target, key, value, receiver) {
    if (typeof key === 'string' && isProperty(key)) {
      official(receiver, `MilvusClient.${key}`)[key] = value
      return true
    }
    // Anything else becomes the receiver's own property, as without the proxy.
    return Reflect.set(target, key, value, receiver)
  },
  has(target, key) {
    return (typeof key === 'string' && (isMethod(key) || isProperty(key))) || Reflect.has(target, key)
  },
}

function loadExport(name) {
  return loadSdk(`The export \`${name}\``)[name]
}

// The official exports' values (a copied number or string, or a proxy), made when first read.
let lazy
function exportValue(name) {
  if (lazy === undefined) lazy = require('./lazy-exports.js').lazyExports(names(), loadExport)
  return lazy(name)
}

// The exports: `own` (milvus-native's), then the official names as enumerable accessors, so
// that Object.keys, `import * as`, destructuring and TypeScript's interop helpers see them all.
// Reading one loads nothing: its value is copied or a proxy (index.mjs reads them all).
function exportsHandler(own) {
  let set // the official names but `own`'s, when first needed
  const official = {
    has(key) {
      if (set === undefined) set = new Set(split(names().exports).filter((k) => !Object.prototype.hasOwnProperty.call(own, k)))
      return set.has(key)
    },
    [Symbol.iterator]() {
      this.has('')
      return set[Symbol.iterator]()
    },
  }
  return {
    get(target, key, receiver) {
      if (Object.prototype.hasOwnProperty.call(target, key)) return target[key]
      if (typeof key === 'string' && official.has(key)) return exportValue(key)
      return Reflect.get(target, key, receiver)
    },
    has(target, key) {
      return Reflect.has(target, key) || official.has(key)
    },
    ownKeys(target) {
      const own = Reflect.ownKeys(target)
      return [...own, ...[...official].filter((k) => !own.includes(k))]
    },
    getOwnPropertyDescriptor(target, key) {
      const own = Reflect.getOwnPropertyDescriptor(target, key)
      if (own !== undefined || !official.has(key)) return own
      return { get: () => exportValue(key), set: undefined, enumerable: true, configurable: true }
    },
  }
}

/**
 * Puts the delegating proxy under `Client.prototype` and returns the module's exports: `own`
 * plus the official package's other exports, lazily. After `closeConnection()`, a delegated
 * method whose delegate was never made fails with `options.closedError()`, as native ones do.
 */
function install(Client, own, options) {
  closedError = options.closedError
  const base = Object.getPrototypeOf(Client.prototype)
  Object.setPrototypeOf(Client.prototype, new Proxy(Object.create(base), prototypeHandler))
  return new Proxy(own, exportsHandler(own))
}

/** Closes the delegate, if one was made. */
function closeDelegate(client) {
  return client._official === undefined ? undefined : client._official.closeConnection()
}

/** The generated names as arrays (for tests and tools). */
function surfaceNames() {
  const n = names()
  const out = { version: n.version }
  for (const k of ['async', 'sync', 'properties', 'internal', 'exports', 'objects', 'arrays', 'constructors', 'functions']) out[k] = split(n[k])
  out.values = { ...n.values }
  out.methods = [...out.async, ...out.sync].sort()
  return out
}

module.exports = { install, closeDelegate, surfaceNames, SDK }
