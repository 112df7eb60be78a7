// Case 8: lazy restore. Time until the restored tree runs with node-criu's lazyPages (its
// defaults: the page data verified, or taken as verified while it is provably the file hashed at
// checkpoint; and with verify: false) against raw CRIU's eager `restore -d` and
// raw CRIU's own lazy restore (`lazy-pages --daemon`, then `restore --lazy-pages -d`); and the
// time until every page is in (pagesLoaded).
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkpoint, restore } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { copyImages, imagePids } from '../images.mjs';
import { criuPath, rawRestore } from '../raw-criu.mjs';
import { row } from '../rows.mjs';
import { summary } from '../stats.mjs';

const RUNNABLE = { op: '<=', value: 100, of: 'a' };
const VS_EAGER = { op: '<=', value: 0.2, of: 'ratio' };
const VS_RAW_LAZY = { op: '<=', value: 1.1, of: 'ratio' };
const P99_UNDER_20_MS = { op: '<', value: 20, of: 'a' };

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(criuPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`criu ${args[0]} failed (${code})`))));
  });
}

export async function lazyCase(ctx, caseId, victim) {
  const { runs, scratch } = ctx;
  const dir = scratch.path('images');
  const running = await ctx.start(victim);
  await checkpoint(running.pid, { imagesDir: dir });
  const pids = await imagePids(dir);
  const loaded = { default: [], noVerify: [] };
  // The event loop from the restore call until every page is in, default options.
  const p99 = [];
  const lazily = (options, into) => ({
    prepare: async () => {
      await ctx.waitUsable(pids);
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      return histogram;
    },
    measure: async () => ({ extra: await restore(dir, { lazyPages: true, ...options }) }),
    cleanup: async (histogram, result) => {
      const proc = result?.extra;
      if (!proc) return;
      const start = process.hrtime.bigint();
      await proc.pagesLoaded;
      into.push(Number(process.hrtime.bigint() - start) / 1e6);
      histogram.disable();
      if (into === loaded.default) p99.push(histogram.percentile(99) / 1e6);
      proc.kill('SIGKILL');
      await proc.exited;
      await ctx.end(proc.pid, pids);
    },
  });
  const raw = (lazy) => ({
    prepare: async () => {
      await ctx.waitUsable(pids);
      return { copy: await copyImages(dir, scratch.path('raw')), work: scratch.dir('work') };
    },
    measure: async ({ copy, work }) => {
      if (!lazy) return rawRestore(copy);
      await run(['lazy-pages', '-D', copy, '-W', work, '--daemon', '-o', 'lazy.log']);
      await run(['restore', '-D', copy, '-W', work, '--lazy-pages', '-d', '-o', 'restore.log']);
    },
    cleanup: async ({ copy, work }) => {
      await ctx.end(pids[0], pids);
      scratch.remove(copy);
      scratch.remove(work);
    },
  });
  ctx.log(`case ${caseId}: ${victim}: lazy restore`);
  const r = await alternate(runs, {
    lazy: lazily({}, loaded.default),
    lazyNoVerify: lazily({ verify: false }, loaded.noVerify),
    rawEager: raw(false),
    rawLazy: raw(true),
  });
  await ctx.end(running.pid, pids);
  scratch.remove(dir);
  // The targets are on the defaults (page data verified, or taken as verified while its stamp
  // holds); verify: false is a row of its own.
  return [
    row(caseId, `lazy restore to runnable (baseline: raw eager), ${victim}`, 'ms', r.lazy, r.rawEager, VS_EAGER),
    row(caseId, `lazy restore to runnable (baseline: raw lazy), ${victim}`, 'ms', r.lazy, r.rawLazy, VS_RAW_LAZY),
    row(caseId, `lazy restore to runnable, ${victim}`, 'ms', r.lazy, null, RUNNABLE),
    row(
      caseId,
      `lazy restore to runnable (verify: false; baseline: raw lazy), ${victim}`,
      'ms',
      r.lazyNoVerify,
      r.rawLazy,
      null,
    ),
    row(caseId, `lazy restore, runnable until pagesLoaded, ${victim}`, 'ms', summary(loaded.default), null, null),
    row(
      caseId,
      `event-loop delay p99, lazy restore until pagesLoaded, ${victim}`,
      'ms',
      summary(p99),
      null,
      P99_UNDER_20_MS,
    ),
  ];
}
