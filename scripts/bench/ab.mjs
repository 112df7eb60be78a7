// The A/B runner: both sides run in turn, so that load from other work on the machine and drift
// (page cache, tmpfs fill, CPU frequency) hit both alike.
import { summary } from './stats.mjs';

/**
 * Runs `runs` rounds; each round runs every side once, and the order flips every round (A B, B A,
 * ...) so neither side always runs just after the other. A side is `{ prepare?, measure, cleanup? }`:
 * only `measure` is timed; it may return a number (ms) of its own instead of being timed.
 */
export async function alternate(runs, sides) {
  const names = Object.keys(sides);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const extras = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < runs; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const side = sides[name];
      const state = side.prepare ? await side.prepare() : undefined;
      const start = process.hrtime.bigint();
      let result;
      let elapsed;
      try {
        result = await side.measure(state);
        elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      } finally {
        if (side.cleanup) await side.cleanup(state, result);
      }
      samples[name].push(typeof result?.ms === 'number' ? result.ms : elapsed);
      if (result?.extra !== undefined) extras[name].push(result.extra);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { ...summary(samples[n]), extras: extras[n] }]));
}
