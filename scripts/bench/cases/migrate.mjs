// Case 11: live migration (issue 17). Downtime, frozen at the source until running at the
// destination, of migrate() over loopback (post-copy: the pages follow from the frozen source)
// against a plain dump + copy of the images + eager restore of the same victim; and the time until
// every page is in at the destination. Both sides on this machine: each victim lives in a pid
// namespace of its own (the source's pids are still taken while it is frozen).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpoint, migrate, restore, serve, spawn } from '../../../dist/src/index.js';
import { alternate } from '../ab.mjs';
import { row } from '../rows.mjs';
import { summary } from '../stats.mjs';

const MIB = { 'C, 100 MiB': 100, 'C, 1 GiB': 1024, 'C, 4 GiB': 4096 };
/** The target: downtime at most 150 ms, flat in memory size. */
const DOWNTIME = { op: '<=', value: 150, of: 'a' };

/** A memhog of `mib` MiB in a pid namespace of its own; its launcher's pid (migrate() finds the root). */
async function startVictim(ctx, mib) {
  const ready = ctx.scratch.path('ready');
  const child = spawn(ctx.bins.memhog, [String(mib), ready], { stdio: 'ignore', namespaces: ['pid'] });
  while (!existsSync(ready)) await sleep(5);
  return child;
}

async function end(proc) {
  proc.kill('SIGKILL');
  await proc.exited;
}

async function migrateVictim(ctx, caseId, victim) {
  const mib = MIB[victim];
  const server = await serve({ listen: { host: '127.0.0.1', port: 0 }, imagesRoot: ctx.scratch.dir('received') });
  try {
    return await rounds(ctx, caseId, victim, mib, server);
  } finally {
    await server.close();
  }
}

async function rounds(ctx, caseId, victim, mib, server) {
  const { runs, scratch } = ctx;
  const loaded = [];
  ctx.log(`case ${caseId}: ${victim}: live migration`);
  const r = await alternate(runs, {
    migrate: {
      prepare: () => startVictim(ctx, mib),
      measure: async (child) => {
        // From the tree running at the destination until its last page is in.
        const arrived = new Promise((resolve) =>
          server.once('migration', (migration) => {
            const running = process.hrtime.bigint();
            const done = migration.completed.then(() => Number(process.hrtime.bigint() - running) / 1e6);
            resolve({ migration, done });
          }),
        );
        const report = await migrate(child.pid, { to: server.address });
        return { ms: report.downtimeMs, extra: await arrived };
      },
      cleanup: async (_child, result) => {
        if (!result?.extra) return;
        loaded.push(await result.extra.done);
        await end(result.extra.migration.process);
      },
    },
    dumpCopyRestore: {
      prepare: async () => ({ child: await startVictim(ctx, mib), dumped: scratch.path('dumped') }),
      measure: async ({ child, dumped }) => {
        const cpt = await checkpoint(child.pid, { imagesDir: dumped });
        const copy = scratch.path('copied');
        await cp(cpt.imagesDir, copy, { recursive: true });
        return { extra: { proc: await restore(copy, { verify: false }), copy } };
      },
      cleanup: async ({ dumped }, result) => {
        if (result?.extra) {
          await end(result.extra.proc);
          scratch.remove(result.extra.copy);
        }
        scratch.remove(dumped);
      },
    },
  });
  return [
    row(
      caseId,
      `migration downtime (baseline: dump + copy + eager restore), ${victim}`,
      'ms',
      r.migrate,
      r.dumpCopyRestore,
      DOWNTIME,
    ),
    row(caseId, `migration, running until every page is in, ${victim}`, 'ms', summary(loaded), null, null),
  ];
}

/**
 * CRIU's page server needs pipes above the default fs.pipe-max-size without CAP_SYS_RESOURCE
 * (src/migrate/preflight.ts): raised for the case, put back after.
 */
const PIPE_MAX = '/proc/sys/fs/pipe-max-size';

/** Case 11: 100 MiB with --quick, else 100 MiB, 1 GiB and 4 GiB (a 4 GiB round takes about a minute). */
export async function migrateCase(ctx) {
  const before = readFileSync(PIPE_MAX, 'utf8').trim();
  if (Number(before) < 4 << 20) writeFileSync(PIPE_MAX, String(4 << 20));
  try {
    const rows = [];
    for (const victim of ctx.quick ? ['C, 100 MiB'] : ['C, 100 MiB', 'C, 1 GiB', 'C, 4 GiB']) {
      rows.push(...(await migrateVictim(ctx, '11', victim)));
    }
    return rows;
  } finally {
    writeFileSync(PIPE_MAX, before);
  }
}
