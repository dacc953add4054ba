'use strict'
// `trace: true`, as the official client does it: each call starts a span of the tracer
// `milvus-node-client` (the official name; the version is milvus-native's own), and the
// application's propagator injects the context with that span into the call's headers, of
// which `traceparent` and `tracestate` are sent. Loaded only with `trace: true`;
// `@opentelemetry/api` is an optional peer dependency.

const TRACER = 'milvus-node-client'
const SPAN = 'grpc-intercept'

/** The tracing of one client; throws a clear error when `@opentelemetry/api` is missing. */
function tracing(version) {
  let api
  try {
    api = require('@opentelemetry/api')
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && /@opentelemetry\/api/.test(e.message)) {
      throw new Error(
        'The `trace` option needs the @opentelemetry/api package (an optional peer dependency of milvus-native), ' +
          'and it cannot be found: install it (npm install @opentelemetry/api) or leave `trace` off.',
        { cause: e }
      )
    }
    throw e
  }
  const tracer = api.trace.getTracer(TRACER, version)

  /**
   * Starts the call's span as a child of `ctx` (the context active when the call was made),
   * hands the injected headers to `send(traceparent, tracestate)`, and ends the span once
   * `send` has put the call under way. `traceparent` is `''` when nothing was injected (no
   * propagator registered, or an invalid span context).
   */
  function run(ctx, send) {
    return api.context.with(ctx, () =>
      tracer.startActiveSpan(SPAN, (span) => {
        try {
          const out = {}
          api.propagation.inject(api.context.active(), out)
          const parent = typeof out.traceparent === 'string' ? out.traceparent : ''
          const state = typeof out.tracestate === 'string' && out.tracestate !== '' ? out.tracestate : undefined
          return send(parent, state)
        } finally {
          span.end()
        }
      })
    )
  }

  return {
    /** The caller's context, taken synchronously at call time. */
    capture: () => api.context.active(),
    run,
  }
}

module.exports = { tracing, TRACER }
