// Case 4: host-mode SysV. A checkpoint of a process attached to a 1 GiB segment of the host IPC
// namespace costs about what it costs without the segment (target <= 1.1x), and CRIU writes the
// same bytes (the segment's pages are not in the images). Runs only where a probe checkpoint of
// such a process works; otherwise the row says why.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { checkpoint } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { imageBytes } from '../images.mjs';
import { row, unavailable } from '../rows.mjs';

const run = promisify(execFile);

function removeSegment(id) {
  if (Number(id) >= 0) return run('ipcrm', ['-m', String(id)]).catch(() => {});
}

function start(ctx, mib, pages = 'small') {
  return ctx.startCommand(ctx.bins.sysv, (ready) => [String(mib), ready, pages], { content: true });
}

const SHMEM_THP = '/sys/kernel/mm/transparent_hugepage/shmem_enabled';

/**
 * Runs `work` with shmem transparent huge pages on request (shmem_enabled = advise), putting the
 * machine's setting back after; undefined (nothing run) where the setting cannot be changed.
 */
async function withShmemHugePages(work) {
  let before;
  try {
    before = /\[(\w+)\]/.exec(readFileSync(SHMEM_THP, 'utf8'))?.[1];
    if (before !== 'advise') writeFileSync(SHMEM_THP, 'advise');
  } catch {
    return undefined;
  }
  try {
    return await work();
  } finally {
    if (before && before !== 'advise') writeFileSync(SHMEM_THP, before);
  }
}

/** Why host-mode SysV cannot be measured here, or undefined when a probe checkpoint works. */
async function probe(ctx) {
  const victim = await start(ctx, 1);
  const dir = ctx.scratch.path('sysv-probe');
  try {
    await checkpoint(victim.pid, { imagesDir: dir, digest: false });
    return undefined;
  } catch (error) {
    return `${error.code ?? ''} ${String(error.message).split(' See CRIU')[0]}`.trim();
  } finally {
    await ctx.end(victim.pid);
    await removeSegment(victim.ready);
    ctx.scratch.remove(dir);
  }
}

export async function sysvCase(ctx) {
  const mib = ctx.quick ? 256 : 1024;
  const name = `checkpoint (kill) with a ${mib} MiB host SysV segment attached (baseline: without)`;
  const why = await probe(ctx);
  if (why) return [unavailable('4', name, why)];
  ctx.log('case 4: host-mode SysV');
  const side = (segmentMib, pages) => ({
    prepare: async () => ({ victim: await start(ctx, segmentMib, pages), dir: ctx.scratch.path('sysv') }),
    measure: async ({ victim, dir }) => {
      const cp = await checkpoint(victim.pid, { imagesDir: dir, digest: false });
      return { extra: { pids: cp.pids, bytes: imageBytes(dir), pages: cp.stats?.pagesWritten } };
    },
    cleanup: async ({ victim, dir }, result) => {
      await ctx.end(victim.pid, result?.extra.pids);
      await removeSegment(victim.ready);
      ctx.scratch.remove(dir);
    },
  });
  const result = await alternate(ctx.runs, { attached: side(mib), without: side(0) });
  const bytes = (r) => {
    const b = r.extras.map((e) => e.bytes);
    return { median: b[0], min: Math.min(...b), max: Math.max(...b), samples: b };
  };
  // The cost above is the kernel tearing down the segment's page table entries at the first shmdt
  // (one per 4 KiB page); with 2 MiB pages there are 512 times fewer.
  ctx.log('case 4: host-mode SysV, segment in transparent huge pages');
  const huge = await withShmemHugePages(() => alternate(ctx.runs, { attached: side(mib, 'huge'), without: side(0) }));
  const hugeName = `checkpoint (kill) with a ${mib} MiB host SysV segment in 2 MiB pages (shmem THP, MADV_HUGEPAGE; baseline: without)`;
  return [
    row('4', name, 'ms', result.attached, result.without, { op: '<=', value: 1.1, of: 'ratio' }),
    huge
      ? row('4', hugeName, 'ms', huge.attached, huge.without, { op: '<=', value: 1.1, of: 'ratio' })
      : unavailable('4', hugeName, `${SHMEM_THP} cannot be set here`),
    row(
      '4',
      'bytes CRIU wrote, with the segment (baseline: without)',
      'bytes',
      bytes(result.attached),
      bytes(result.without),
      {
        op: '<=',
        value: 1.01,
        of: 'ratio',
      },
    ),
  ];
}
