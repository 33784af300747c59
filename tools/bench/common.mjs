// Shared helpers for the benchmarks: interleaved runs and medians, so machine
// noise hits the measured code and its baseline alike.

/** Median of a numeric array. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median over rounds of a[r] / b[r], with the spread (min, max). */
export function pairedRatio(a, b) {
  const rs = a.map((x, i) => x / b[i]);
  return { ratio: median(rs), min: Math.min(...rs), max: Math.max(...rs) };
}

/** Percentile (0..100) of a numeric array, nearest rank. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/**
 * Runs each of `variants` (name → () => number of units done) `rounds` times,
 * interleaved A B A B ..., and returns name → median units per second.
 */
export function interleave(variants, rounds) {
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      const units = fn();
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      rates[name].push(units / secs);
    }
  }
  return Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
}

/** Formats a rate like 12.3 M/s. */
export function fmtRate(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k/s`;
  return `${x.toFixed(0)} /s`;
}

/** Parses `--name value` and `--flag` arguments. */
export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else {
      out[a.slice(2)] = next;
      i++;
    }
  }
  return out;
}
