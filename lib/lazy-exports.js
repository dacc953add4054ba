'use strict'
// The official package's exports as milvus-native hands them out, to `require` and `import`
// alike (README, "The rest of MilvusClient"). An ES module's named exports are bound when it is
// evaluated, so `import { DataType } from 'milvus-native'` needs a value at import time; the
// official SDK takes about a second to load. So:
// - a number or a string is its value, copied from the official SDK when lib/official-surface.js
//   was generated (a test compares them with the installed SDK);
// - an object, an array or a function is a Proxy over a stand-in of the same kind (so `typeof`,
//   `Array.isArray` and `new` answer as for the real one), whose every trap loads the SDK on first
//   use and forwards to the real export. Without the SDK, a trap throws ERR_MILVUS_SDK_MISSING.
//
// Proxy invariants tie what a trap reports to the stand-in: a property reported non-configurable
// must be one of the stand-in's, and a non-extensible export must have a stand-in that is its
// copy. `settle` keeps the stand-in so (the official exports are extensible, and their only
// non-configurable properties are a function's `prototype` and an array's `length`, which the
// stand-ins have too; a stand-in's kind is checked against the real export's on first use).

const INSPECT = Symbol.for('nodejs.util.inspect.custom')
const { hasOwnProperty } = Object.prototype

// stand-in and proxy -> { name, kind, proxy, target, real (once loaded), from (lazyExports's) }
const states = new WeakMap()

/** The real export behind a stand-in, loaded on first use. */
function real(target) {
  const s = states.get(target)
  if (s.real === undefined) {
    const r = s.from.load(s.name)
    const fn = s.kind === 'constructors' || s.kind === 'functions'
    const same =
      r !== null &&
      typeof r === (fn ? 'function' : 'object') &&
      (!fn || hasOwnProperty.call(r, 'prototype') === (s.kind === 'constructors')) &&
      Array.isArray(r) === (s.kind === 'arrays')
    if (!same) {
      const e = new Error(
        `The export \`${s.name}\` of the installed official Milvus SDK is not what milvus-native was made for ` +
          `(${kindNames[s.kind]} in @zilliz/milvus2-sdk-node ${s.from.version}): it is ${describe(r)}.`
      )
      e.code = 'ERR_MILVUS_SDK_MISMATCH'
      throw e
    }
    s.real = r
  }
  return s.real
}

const kindNames = {
  objects: 'an object',
  arrays: 'an array',
  constructors: 'a function with a prototype',
  functions: 'a function without a prototype (an arrow function)',
}
function describe(v) {
  if (v === null || v === undefined) return String(v)
  if (typeof v === 'function') return hasOwnProperty.call(v, 'prototype') ? kindNames.constructors : kindNames.functions
  return Array.isArray(v) ? kindNames.arrays : `a ${typeof v}`
}

/** Keeps the stand-in as the invariants need it, after `r` (the real export) may have changed. */
function settle(target, r, key) {
  if (Reflect.isExtensible(r)) {
    if (key === undefined) return
    const d = Reflect.getOwnPropertyDescriptor(r, key)
    if (d !== undefined && !d.configurable) Reflect.defineProperty(target, key, d)
    return
  }
  // A non-extensible export (frozen through the proxy, say): the stand-in becomes its copy.
  for (const k of Reflect.ownKeys(target)) if (!hasOwnProperty.call(r, k)) Reflect.deleteProperty(target, k)
  for (const k of Reflect.ownKeys(r)) Reflect.defineProperty(target, k, Reflect.getOwnPropertyDescriptor(r, k))
  Reflect.setPrototypeOf(target, Reflect.getPrototypeOf(r))
  Reflect.preventExtensions(target)
}

// The receiver of a get or a set: the real export when it is the proxy (so that getters,
// setters and internal slots see the real object), else what it is (an object inheriting from it).
const receiver = (target, r, given) => (given === states.get(target).proxy ? r : given)

const handler = {
  // The hot trap (an enum member read): one lookup of the state.
  get(target, key, given) {
    const s = states.get(target)
    const r = s.real === undefined ? real(target) : s.real
    return Reflect.get(r, key, given === s.proxy ? r : given)
  },
  set(target, key, value, given) {
    const r = real(target)
    const ok = Reflect.set(r, key, value, receiver(target, r, given))
    settle(target, r, key)
    return ok
  },
  has: (target, key) => Reflect.has(real(target), key),
  ownKeys(target) {
    const r = real(target)
    settle(target, r)
    return Reflect.ownKeys(r)
  },
  getOwnPropertyDescriptor(target, key) {
    const r = real(target)
    settle(target, r, key)
    return Reflect.getOwnPropertyDescriptor(r, key)
  },
  defineProperty(target, key, descriptor) {
    const r = real(target)
    const ok = Reflect.defineProperty(r, key, descriptor)
    settle(target, r, key)
    return ok
  },
  deleteProperty(target, key) {
    const r = real(target)
    const ok = Reflect.deleteProperty(r, key)
    settle(target, r, key)
    return ok
  },
  getPrototypeOf: (target) => Reflect.getPrototypeOf(real(target)),
  setPrototypeOf(target, proto) {
    const r = real(target)
    const ok = Reflect.setPrototypeOf(r, proto)
    settle(target, r)
    return ok
  },
  isExtensible(target) {
    const r = real(target)
    settle(target, r)
    return Reflect.isExtensible(r)
  },
  preventExtensions(target) {
    const r = real(target)
    const ok = Reflect.preventExtensions(r)
    settle(target, r)
    return ok
  },
  apply: (target, self, args) => Reflect.apply(real(target), self, args),
  construct(target, args, newTarget) {
    const r = real(target)
    // `new Proxy()` makes the real class's instance; a subclass (`extends`) keeps its own.
    return Reflect.construct(r, args, newTarget === states.get(target).proxy ? r : newTarget)
  },
}

// util.inspect looks at a proxy's stand-in, not through the traps: the stand-in points it to the
// real export (so console.log shows the official object), or says that the SDK is missing.
function inspect() {
  const s = states.get(this)
  try {
    return real(s.target)
  } catch (e) {
    if (e.code !== 'ERR_MILVUS_SDK_MISSING') throw e
    return `[${s.name}: @zilliz/milvus2-sdk-node is not installed]`
  }
}

// A fresh stand-in per export: a `function` can be called and constructed, an arrow function
// only called (and has no `prototype`), as the real ones.
const standIns = {
  objects: () => ({}),
  arrays: () => [],
  constructors: () => function () {},
  functions: () => () => {},
}

const split = (s) => s.split(/\s+/).filter(Boolean)

/**
 * The official exports' values: `get(name)` is the recorded value of a number or string, else
 * the export's proxy (one per name). `surface` is lib/official-surface.js; `loadExport(name)`
 * returns the official export or throws the error for a missing SDK.
 */
function lazyExports(surface, loadExport) {
  const from = { load: loadExport, version: surface.version }
  const kinds = new Map()
  for (const kind of Object.keys(standIns)) for (const name of split(surface[kind])) kinds.set(name, kind)
  const proxies = new Map()
  return function get(name) {
    if (hasOwnProperty.call(surface.values, name)) return surface.values[name]
    let p = proxies.get(name)
    if (p === undefined) {
      const kind = kinds.get(name)
      const target = standIns[kind]()
      p = new Proxy(target, handler)
      const s = { name, kind, proxy: p, target, real: undefined, from }
      states.set(target, s)
      states.set(p, s)
      Object.defineProperty(target, INSPECT, { value: inspect, configurable: true })
      proxies.set(name, p)
    }
    return p
  }
}

module.exports = { lazyExports }
