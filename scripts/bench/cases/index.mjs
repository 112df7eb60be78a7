// The cases by number, in the order issue 7 lists them (8: lazy restore, 9: the warm server, issue
// 14; 10: incremental checkpoints, 11: live migration, issue 17); each `(ctx) => rows`.
import { row } from '../rows.mjs';
import { memoryBandwidth } from './bandwidth.mjs';
import { eventLoopCase } from './event-loop.mjs';
import { integrityCase } from './integrity.mjs';
import { latencyCase } from './latency.mjs';
import { lazyCase } from './lazy.mjs';
import { migrateCase } from './migrate.mjs';
import { rewriteCase } from './rewrite.mjs';
import { seriesCase } from './series.mjs';
import { substitutionsCase } from './substitutions.mjs';
import { sysvCase } from './sysv.mjs';
import { warmCase } from './warm.mjs';

const SMALL = ['tiny C', 'bash loop', 'idle Node'];
const LARGE = ['C, 100 MiB', 'C, 1 GiB', 'C, 4 GiB'];
/** Victims measured again with digests off: the wrapper's own cost, beside the defaults' rows. */
const NO_DIGEST = ['tiny C', 'C, 1 GiB'];

/** Case 1's rounds for `victim` (bench.mjs says why they differ). */
function roundsOf(ctx, victim) {
  if (SMALL.includes(victim)) return ctx.smallRuns;
  return victim === 'C, 4 GiB' ? ctx.runs : ctx.largeRuns;
}

export const cases = {
  1: async (ctx) => {
    const bandwidth = await memoryBandwidth(ctx);
    const rows = [
      row('1', 'memory write bandwidth (memset of 1 GiB, best of 5)', 'GB/s', bandwidth.write, null, null),
      row('1', 'fresh memory (first memset of 1 GiB: every page faulted in)', 'GB/s', bandwidth.firstTouch, null, null),
    ];
    for (const victim of ctx.quick ? SMALL.slice(0, 1) : SMALL)
      rows.push(...(await latencyCase(ctx, '1', victim, { runs: roundsOf(ctx, victim) })));
    for (const victim of ctx.quick ? LARGE.slice(0, 1) : LARGE)
      rows.push(...(await latencyCase(ctx, '1', victim, { large: true, runs: roundsOf(ctx, victim) })));
    for (const victim of ctx.quick ? NO_DIGEST.slice(0, 1) : NO_DIGEST) {
      const large = LARGE.includes(victim);
      rows.push(
        ...(await latencyCase(ctx, '1', victim, { large, runs: roundsOf(ctx, victim), options: { digest: false } })),
      );
    }
    return rows;
  },
  2: substitutionsCase,
  3: rewriteCase,
  4: sysvCase,
  5: integrityCase,
  6: eventLoopCase,
  7: (ctx) => latencyCase(ctx, '7', ctx.quick ? 'tree of 20' : 'tree of 100'),
  8: async (ctx) => {
    const rows = [];
    for (const victim of ctx.quick ? LARGE.slice(0, 1) : LARGE) rows.push(...(await lazyCase(ctx, '8', victim)));
    return rows;
  },
  9: warmCase,
  10: seriesCase,
  11: migrateCase,
};
