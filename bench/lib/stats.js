'use strict'

/** Nearest rank on a sorted copy, as milvus-sim-load computes its percentiles. */
function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.round((sorted.length - 1) * p)]
}

/** Median of the numbers present (null/undefined are runs that did not produce the value). */
function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return null
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

function round(v, digits = 1) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v
  const f = 10 ** digits
  return Math.round(v * f) / f
}

module.exports = { percentile, median, round }
