// Case 10: incremental checkpoints (issue 17). A 1 GiB process changes 10 MiB between
// checkpoints; each checkpoint is made either on the first, full one (`parent`) or in full
// (node-criu's defaults, and raw `criu dump` at its own): time per checkpoint and bytes stored.
import { closeSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { checkpoint } from '../../../dist/src/index.js';
import { loadNative } from '../../../dist/src/native.js';
import { alternate } from '../ab.mjs';
import { rawDump } from '../raw-criu.mjs';
import { row } from '../rows.mjs';
import { summary } from '../stats.mjs';

const MIB = 1024;
const CHANGED_MIB = 10;
const STORES_AT_MOST_5_PERCENT = { op: '<=', value: 0.05, of: 'ratio' };

/** Bytes of the regular files of an images dir (the parent link not followed). */
function stored(dir) {
  return readdirSync(dir).reduce((sum, name) => {
    const info = statSync(join(dir, name), { throwIfNoEntry: false });
    return sum + (info?.isFile() ? info.size : 0);
  }, 0);
}

export async function seriesCase(ctx) {
  const caseId = '10';
  const { scratch } = ctx;
  // Its stdout a pipe (raw CRIU refuses the socketpair of stdio 'pipe' without --ext-unix-sk).
  const [read, write] = loadNative().pipePair();
  const victim = await ctx.startCommand(ctx.bins.series, (ready) => [String(MIB), ready, String(CHANGED_MIB)], {
    stdio: ['ignore', write, 'ignore'],
  });
  closeSync(write);
  const output = new Socket({ fd: read, readable: true, writable: false });
  const lines = createInterface({ input: output })[Symbol.asyncIterator]();
  const first = scratch.path('first');
  await checkpoint(victim.pid, { imagesDir: first, leaveRunning: true });
  const bytes = { incremental: [], full: [], raw: [] };
  // Every checkpoint follows a change of CHANGED_MIB: the victim rewrites them, then says so.
  const changed = async () => {
    victim.child.kill('SIGUSR1');
    await lines.next();
    return scratch.path('images');
  };
  const side = (name, dump) => ({
    prepare: async () => {
      const dir = await changed();
      // Raw CRIU writes into a dir that exists; node-criu makes its own.
      if (name === 'raw') mkdirSync(dir);
      return dir;
    },
    measure: (dir) => dump(dir),
    cleanup: (dir) => {
      bytes[name].push(stored(dir));
      scratch.remove(dir);
    },
  });
  ctx.log(`case ${caseId}: C, ${MIB} MiB, ${CHANGED_MIB} MiB changed: incremental checkpoints`);
  const r = await alternate(ctx.runs, {
    incremental: side('incremental', (dir) =>
      checkpoint(victim.pid, { imagesDir: dir, parent: first, leaveRunning: true }),
    ),
    full: side('full', (dir) => checkpoint(victim.pid, { imagesDir: dir, leaveRunning: true })),
    raw: side('raw', (dir) => rawDump(victim.pid, dir, { leaveRunning: true })),
  });
  await ctx.end(victim.pid);
  output.destroy();
  scratch.remove(first);
  const what = `C, ${MIB} MiB, ${CHANGED_MIB} MiB changed`;
  const mb = (samples) => summary(samples.map((b) => b / 1e6));
  return [
    row(
      caseId,
      `checkpoint on the full one (parent), ${what}; baseline: full, defaults`,
      'ms',
      r.incremental,
      r.full,
      null,
    ),
    row(
      caseId,
      `checkpoint on the full one (parent), ${what}; baseline: raw criu dump`,
      'ms',
      r.incremental,
      r.raw,
      null,
    ),
    row(
      caseId,
      `bytes stored, checkpoint on the full one vs full, ${what}`,
      'MB',
      mb(bytes.incremental),
      mb(bytes.full),
      STORES_AT_MOST_5_PERCENT,
    ),
  ];
}
