// Case 6: Node stays responsive during a large checkpoint and restore (default options, digests
// and verification included): perf_hooks' event-loop delay, p99 and max per operation.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkpoint, restore } from '../../../dist/src/index.js';
import { imagePids } from '../images.mjs';
import { row } from '../rows.mjs';
import { summary } from '../stats.mjs';

const P99_UNDER_20_MS = { op: '<', value: 20, of: 'a' };

/** Runs `operation` with the loop delay monitored; returns its p99 and max in ms. */
async function monitored(operation) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const result = await operation();
  histogram.disable();
  return { result, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

export async function eventLoopCase(ctx) {
  const victim = ctx.quick ? 'C, 100 MiB' : 'C, 1 GiB';
  ctx.log(`case 6: event-loop delay during checkpoint and restore, ${victim}`);
  const dumps = [];
  const restores = [];
  for (let i = 0; i < ctx.runs; i++) {
    const running = await ctx.start(victim);
    const dir = ctx.scratch.path('images');
    const dump = await monitored(() => checkpoint(running.pid, { imagesDir: dir }));
    dumps.push(dump);
    await ctx.end(running.pid, dump.result.pids);
    const pids = await imagePids(dir);
    await ctx.waitUsable(pids);
    const back = await monitored(() => restore(dir));
    restores.push(back);
    await ctx.end(back.result.pid, []);
    await back.result.exited;
    await ctx.end(back.result.pid, pids);
    ctx.scratch.remove(dir);
  }
  const of = (list, key) => summary(list.map((m) => m[key]));
  return [
    row('6', `event-loop delay p99 during checkpoint, ${victim}`, 'ms', of(dumps, 'p99'), null, P99_UNDER_20_MS),
    row('6', `event-loop delay max during checkpoint, ${victim}`, 'ms', of(dumps, 'max'), null, null),
    row('6', `event-loop delay p99 during restore, ${victim}`, 'ms', of(restores, 'p99'), null, P99_UNDER_20_MS),
    row('6', `event-loop delay max during restore, ${victim}`, 'ms', of(restores, 'max'), null, null),
  ];
}
