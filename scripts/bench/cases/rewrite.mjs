// Case 3: rewriting files.img of a checkpoint costs the same for
// 100 MiB and 1 GiB of memory, because pages are linked, never copied. Target: under 20 ms each.
import { rmSync } from 'node:fs';
import { checkpoint, relaxFiles, rewriteImages } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { row } from '../rows.mjs';

const UNDER_20_MS = { op: '<', value: 20, of: 'a' };

async function imagesOf(ctx, victim) {
  const running = await ctx.start(victim);
  const cp = await checkpoint(running.pid, { imagesDir: ctx.scratch.path('images'), digest: false });
  await ctx.end(running.pid, cp.pids);
  return cp.imagesDir;
}

/** The edit restore's allowSizeChange makes: one relaxed entry of files.img. */
function rewrite(dir) {
  return rewriteImages(dir, (images) => relaxFiles(images, [{ name: '/dev/null', mode: 0o20600 }]).then(() => {}));
}

export async function rewriteCase(ctx) {
  const small = await imagesOf(ctx, 'C, 100 MiB');
  const large = await imagesOf(ctx, 'C, 1 GiB');
  ctx.log('case 3: rewriting files.img');
  const side = (dir) => ({
    measure: () => rewrite(dir),
    cleanup: (_state, result) => result && rmSync(result.dir, { recursive: true, force: true }),
  });
  const result = await alternate(ctx.runs, { small: side(small), large: side(large) });
  ctx.scratch.remove(small);
  ctx.scratch.remove(large);
  return [
    row('3', 'rewrite files.img, 100 MiB checkpoint', 'ms', result.small, null, UNDER_20_MS),
    row('3', 'rewrite files.img, 1 GiB checkpoint (baseline: 100 MiB)', 'ms', result.large, result.small, UNDER_20_MS),
  ];
}
