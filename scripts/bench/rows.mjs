// One results row: a measured A side (node-criu), an optional B side (raw CRIU or a baseline),
// their ratio and whether it meets the case's target.

/**
 * `a`, `b`: summaries (median/min/max). `target`: `{ op: '<=' | '>=' | '<', value, of: 'ratio' |
 * 'a' }` — what is compared with the value (the A/B ratio of medians, or A's median itself).
 */
export function row(caseId, name, unit, a, b, target, note = '') {
  const ratio = a && b ? a.median / b.median : null;
  let met = null;
  if (target) {
    const x = target.of === 'a' ? a?.median : ratio;
    if (typeof x === 'number') met = compare(x, target.op, target.value);
  }
  return { case: caseId, name, unit, a, b, ratio, target, met, note };
}

function compare(x, op, value) {
  if (op === '<=') return x <= value;
  if (op === '>=') return x >= value;
  if (op === '<') return x < value;
  throw new Error(`unknown target op ${op}`);
}

/** A row saying why a case could not run. */
export function unavailable(caseId, name, reason) {
  return {
    case: caseId,
    name,
    unit: '',
    a: null,
    b: null,
    ratio: null,
    target: null,
    met: null,
    note: `not available: ${reason}`,
  };
}

/** Samples in ms -> GB/s for `bytes` moved per sample (the fastest sample is the max rate). */
export function throughput(summary, bytes) {
  const rate = (ms) => bytes / (ms / 1000) / 1e9;
  return {
    median: rate(summary.median),
    min: rate(summary.max),
    max: rate(summary.min),
    samples: summary.samples.map(rate),
  };
}
