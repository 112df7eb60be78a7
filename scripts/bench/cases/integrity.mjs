// Case 5: what the integrity manifest costs. Checkpoint with digests (the default) against
// without (`digest: false`, sizes only), and restore verifying those digests (the default)
// against `verify: false`, on the same victim size. Then, to compare the first with, raw CRIU
// with a plain C reader of its page data alongside (bench-pages-reader.c: the follower's reads,
// no hashing) against raw CRIU alone: what reading during the dump costs CRIU on this machine.
import { checkpoint, restore } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { imagePids } from '../images.mjs';
import { rawDump } from '../raw-criu.mjs';
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
  const reading = await readingAlongside(ctx, victim);
  /** What side `a` costs over its baseline `b`, for the row's note. */
  const cost = (a, b) => {
    const ms = a.median - b.median;
    return `costs ${ms > 0 ? '+' : ''}${ms.toFixed(0)} ms`;
  };
  return [
    row(
      '5',
      `checkpoint with digests (baseline: digest: false), ${victim}`,
      'ms',
      dumps.digest,
      dumps.none,
      null,
      cost(dumps.digest, dumps.none),
    ),
    row(
      '5',
      `restore verifying digests (baseline: verify: false), ${victim}`,
      'ms',
      restores.verify,
      restores.none,
      null,
      cost(restores.verify, restores.none),
    ),
    row(
      '5',
      `raw CRIU with a plain reader of its page data alongside (baseline: raw CRIU alone), ${victim}`,
      'ms',
      reading.reader,
      reading.none,
      null,
      cost(reading.reader, reading.none),
    ),
  ];
}

/**
 * `criu dump` (kill) with bench-pages-reader following its pages files, against `criu dump` alone,
 * in case 1's rounds for the victim: what a plain reader alongside costs CRIU here.
 */
async function readingAlongside(ctx, victim) {
  ctx.log(`case 5: raw CRIU with and without a reader of its page data alongside, ${victim}`);
  const side = (withReader) => ({
    prepare: async () => {
      const state = { victim: await ctx.start(victim), dir: ctx.scratch.dir('raw') };
      if (withReader) {
        const started = await ctx.startCommand(ctx.bins.pagesReader, (ready) => [state.dir, ready]);
        state.reader = started.child;
      }
      return state;
    },
    measure: ({ victim, dir }) => rawDump(victim.pid, dir),
    cleanup: async ({ victim, dir, reader }) => {
      reader?.kill('SIGKILL');
      await ctx.end(victim.pid);
      ctx.scratch.remove(dir);
    },
  });
  return alternate(ctx.largeRuns, { reader: side(true), none: side(false) });
}
