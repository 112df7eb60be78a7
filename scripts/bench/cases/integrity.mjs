// Case 5: what the integrity manifest costs. Checkpoint with digests (the default) against
// without (`digest: false`, sizes only), and restore verifying those digests (the default)
// against `verify: false`, on the same victim size.
import { checkpoint, restore } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { imagePids } from '../images.mjs';
import { row } from '../rows.mjs';

export async function integrityCase(ctx) {
  const victim = ctx.quick ? 'C, 100 MiB' : 'C, 1 GiB';
  ctx.log(`case 5: checkpoint with and without digests, ${victim}`);
  const dumpSide = (digest) => ({
    prepare: async () => ({ victim: await ctx.start(victim), dir: ctx.scratch.path('cp') }),
    measure: async ({ victim, dir }) => ({ extra: (await checkpoint(victim.pid, { imagesDir: dir, digest })).pids }),
    cleanup: async ({ victim, dir }, result) => {
      await ctx.end(victim.pid, result?.extra);
      ctx.scratch.remove(dir);
    },
  });
  const dumps = await alternate(ctx.runs, { digest: dumpSide(true), none: dumpSide(false) });

  ctx.log(`case 5: restore verifying digests vs verify: false, ${victim}`);
  const running = await ctx.start(victim);
  const dir = ctx.scratch.path('images');
  const cp = await checkpoint(running.pid, { imagesDir: dir });
  await ctx.end(running.pid, cp.pids);
  const pids = await imagePids(dir);
  const restoreSide = (verify) => ({
    prepare: () => ctx.waitUsable(pids),
    measure: async () => ({ extra: await restore(dir, { verify }) }),
    cleanup: async (_state, result) => {
      if (!result) return;
      await ctx.end(result.extra.pid, []);
      await result.extra.exited;
      await ctx.end(result.extra.pid, pids);
    },
  });
  const restores = await alternate(ctx.runs, { verify: restoreSide(true), none: restoreSide(false) });
  ctx.scratch.remove(dir);
  const cost = (r) =>
    `costs ${(r.verify?.median ?? r.digest.median) - r.none.median > 0 ? '+' : ''}${((r.verify?.median ?? r.digest.median) - r.none.median).toFixed(0)} ms`;
  return [
    row(
      '5',
      `checkpoint with digests (baseline: digest: false), ${victim}`,
      'ms',
      dumps.digest,
      dumps.none,
      null,
      cost(dumps),
    ),
    row(
      '5',
      `restore verifying digests (baseline: verify: false), ${victim}`,
      'ms',
      restores.verify,
      restores.none,
      null,
      cost(restores),
    ),
  ];
}
