// Case 1 (and 7, with the tree victim): checkpoint latency (kill and leave-running) and restore
// latency of one victim, node-criu against `criu dump` / `criu restore -d`; throughput for the
// large ones.
import { checkpoint, restore } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { copyImages, imagePids, pageBytes, readDumpStats } from '../images.mjs';
import { rawDump, rawRestore } from '../raw-criu.mjs';
import { row, throughput } from '../rows.mjs';

const LATENCY = { op: '<=', value: 1.05, of: 'ratio' };
const LARGE_LATENCY = { op: '<=', value: 1.1, of: 'ratio' };
const THROUGHPUT = { op: '>=', value: 0.95, of: 'ratio' };

/**
 * node-criu with `options` against raw CRIU at its defaults. The headline rows use node-criu's
 * defaults too (every image hashed at checkpoint and verified at restore); `{ digest: false }`
 * gets rows of its own, labelled, for the cost of the wrapper alone (restore then checks sizes).
 * `runs` rounds of each (default `ctx.runs`).
 */
export async function latencyCase(ctx, caseId, victim, { large = false, runs = ctx.runs, options = {} } = {}) {
  const { scratch } = ctx;
  const label = options.digest === false ? `${victim} (digest: false)` : victim;
  const target = large ? LARGE_LATENCY : LATENCY;
  const rows = [];
  ctx.log(`case ${caseId}: ${label}: checkpoint (kill)`);
  const killed = await alternate(runs, {
    nodeCriu: {
      prepare: async () => ({ victim: await ctx.start(victim), dir: scratch.path('cp') }),
      measure: async ({ victim, dir }) => {
        const cp = await checkpoint(victim.pid, { imagesDir: dir, ...options });
        return { extra: { pids: cp.pids, pages: cp.stats?.pagesWritten } };
      },
      cleanup: async ({ victim, dir }, result) => {
        await ctx.end(victim.pid, result?.extra.pids);
        scratch.remove(dir);
      },
    },
    raw: {
      prepare: async () => ({ victim: await ctx.start(victim), dir: scratch.dir('raw') }),
      measure: async ({ victim, dir }) => {
        await rawDump(victim.pid, dir);
        return { extra: { pids: await imagePids(dir), pages: (await readDumpStats(dir))?.pagesWritten } };
      },
      cleanup: async ({ victim, dir }, result) => {
        await ctx.end(victim.pid, result?.extra.pids);
        scratch.remove(dir);
      },
    },
  });
  rows.push(row(caseId, `checkpoint (kill), ${label}`, 'ms', killed.nodeCriu, killed.raw, target));

  ctx.log(`case ${caseId}: ${label}: checkpoint (leave running)`);
  const running = await ctx.start(victim);
  let runningPids = [running.pid];
  const leftRunning = await alternate(runs, {
    nodeCriu: {
      prepare: () => scratch.path('cp'),
      measure: async (dir) => {
        runningPids = (await checkpoint(running.pid, { imagesDir: dir, leaveRunning: true, ...options })).pids;
      },
      cleanup: (dir) => scratch.remove(dir),
    },
    raw: {
      prepare: () => scratch.dir('raw'),
      measure: (dir) => rawDump(running.pid, dir, { leaveRunning: true }),
      cleanup: (dir) => scratch.remove(dir),
    },
  });
  rows.push(row(caseId, `checkpoint (leave running), ${label}`, 'ms', leftRunning.nodeCriu, leftRunning.raw, target));

  // One checkpoint, restored alternately by both; the tree is brought down between restores.
  const dir = scratch.path('images');
  const cp = await checkpoint(running.pid, { imagesDir: dir, ...options });
  await ctx.end(running.pid, [...new Set([...runningPids, ...cp.pids])]);
  const pids = await imagePids(dir);
  ctx.log(`case ${caseId}: ${label}: restore`);
  const restored = await alternate(runs, {
    nodeCriu: {
      prepare: () => ctx.waitUsable(pids),
      measure: async () => ({ extra: await restore(dir) }),
      cleanup: async (_state, result) => {
        const proc = result?.extra;
        if (!proc) return;
        ctx.end(proc.pid, []);
        await proc.exited;
        await ctx.end(proc.pid, pids);
      },
    },
    raw: {
      prepare: async () => {
        await ctx.waitUsable(pids);
        return copyImages(dir, scratch.path('raw-restore'));
      },
      measure: (copy) => rawRestore(copy),
      cleanup: async (copy) => {
        await ctx.end(pids[0], pids);
        scratch.remove(copy);
      },
    },
  });
  rows.push(row(caseId, `restore, ${label}`, 'ms', restored.nodeCriu, restored.raw, target));

  if (large) {
    const bytes = pageBytes(dir);
    const dumpA = throughput(killed.nodeCriu, bytes);
    const dumpB = throughput(killed.raw, bytes);
    rows.push(row(caseId, `checkpoint throughput, ${label}`, 'GB/s', dumpA, dumpB, THROUGHPUT));
    const restA = throughput(restored.nodeCriu, bytes);
    const restB = throughput(restored.raw, bytes);
    rows.push(row(caseId, `restore throughput, ${label}`, 'GB/s', restA, restB, THROUGHPUT));
  }
  const pagesA = killed.nodeCriu.extras.map((e) => e.pages);
  const pagesB = killed.raw.extras.map((e) => e.pages);
  ctx.log(`  pages written: node-criu ${pagesA.join(',')} raw ${pagesB.join(',')}`);
  scratch.remove(dir);
  return rows;
}
