// Case 2: restore with 3 fd substitutions ('pipe' for the stdio a Node parent gave the victim),
// against raw `criu restore -d` of the same images handed 3 inherited socketpairs for the same
// keys: the same CRIU work, so the difference is node-criu's planning and stream set-up. Done for
// 100 MiB and 1 GiB: the difference must not grow with image size.
import { checkpoint, readFdTable, restore } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { copyImages, imagePids } from '../images.mjs';
import { rawRestore } from '../raw-criu.mjs';
import { row } from '../rows.mjs';

const SUBSTITUTES = { 0: 'pipe', 1: 'pipe', 2: 'pipe' };

export async function substitutionsCase(ctx) {
  const rows = [];
  const overheads = {};
  for (const victim of ctx.quick ? ['C, 100 MiB'] : ['C, 100 MiB', 'C, 1 GiB']) {
    const running = await ctx.start(victim, { stdio: 'pipe' });
    const dir = ctx.scratch.path('images');
    const cp = await checkpoint(running.pid, { imagesDir: dir, digest: false });
    await ctx.end(running.pid, cp.pids);
    const pids = await imagePids(dir);
    const leftOut = (await readFdTable(dir)).filter((e) => e.leftOut);
    if (leftOut.length !== 3) throw new Error(`expected 3 left-out stdio fds, got ${leftOut.length}`);
    // The CLI gets each key's substitute at fds 3, 4, 5: socketpairs, as 'pipe' makes them.
    const inherit = leftOut.map((e, i) => [e.key, 3 + i]);
    ctx.log(`case 2: ${victim}: restore with 3 substitutions`);
    const result = await alternate(ctx.runs, {
      nodeCriu: {
        prepare: () => ctx.waitUsable(pids),
        measure: async () => ({ extra: await restore(dir, { fds: SUBSTITUTES }) }),
        cleanup: async (_state, result) => {
          const proc = result?.extra;
          if (!proc) return;
          for (const stream of [proc.stdin, proc.stdout, proc.stderr]) stream?.destroy();
          await ctx.end(proc.pid, []);
          await proc.exited;
          await ctx.end(proc.pid, pids);
        },
      },
      raw: {
        prepare: async () => {
          await ctx.waitUsable(pids);
          return copyImages(dir, ctx.scratch.path('raw-restore'));
        },
        measure: (copy) => rawRestore(copy, { inherit, stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'] }),
        cleanup: async (copy) => {
          await ctx.end(pids[0], pids);
          ctx.scratch.remove(copy);
        },
      },
    });
    overheads[victim] = result.nodeCriu.median - result.raw.median;
    rows.push(
      row('2', `restore with 3 fd substitutions, ${victim}`, 'ms', result.nodeCriu, result.raw, {
        op: '<=',
        value: 1.05,
        of: 'ratio',
      }),
    );
    ctx.scratch.remove(dir);
  }
  const [small, large] = Object.values(overheads);
  if (large !== undefined) {
    const note = `node-criu minus raw: ${small.toFixed(1)} ms at 100 MiB, ${large.toFixed(1)} ms at 1 GiB`;
    rows.push({ ...row('2', 'growth of the substitution overhead, 1 GiB vs 100 MiB', 'ms', null, null, null), note });
  }
  return rows;
}
