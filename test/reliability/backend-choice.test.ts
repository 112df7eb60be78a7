// 'auto' never hands a real process to the simulator: not after a failed CRIU check, not without CRIU.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { killAll, scratchDir, startCounter } from '../helpers/victims.js';

const run = promisify(execFile);
const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

interface Outcome {
  code?: string;
  message?: string;
  pids?: number[];
}

/** Runs `body` (an async function body given `m`, the library) in a fresh Node: no cached check. */
async function fresh(body: string, env: NodeJS.ProcessEnv): Promise<Outcome[]> {
  const script = `
    const m = await import(${JSON.stringify(index)});
    const out = [];
    const attempt = async (work) => {
      try { const cp = await work(); out.push({ pids: cp.pids }); }
      catch (e) { out.push({ code: e.code, message: e.message }); }
    };
    ${body}
    console.log(JSON.stringify(out));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  return JSON.parse(stdout) as Outcome[];
}

test('CRIU killed during the first check: the next checkpoint of a real pid uses CRIU', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const { criuPath } = await import('../../src/index.js').then((m) => m.check({ backend: 'criu' }));
  // The first run of CRIU dies of SIGKILL (as by the OOM killer); later runs are the real one.
  const wrapper = join(dir, 'criu-killed-once');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ ! -e "$0.ran" ]; then : > "$0.ran"; kill -9 $$; fi\nexec ${JSON.stringify(criuPath)} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const [first, second] = await fresh(
    `await attempt(() => m.checkpoint(${victim.pid}, { leaveRunning: true, imagesDir: ${JSON.stringify(join(dir, 'a'))} }));
     await attempt(() => m.checkpoint(${victim.pid}, { leaveRunning: true, imagesDir: ${JSON.stringify(join(dir, 'b'))} }));`,
    { ...process.env, CRIU_BIN: wrapper, NODE_CRIU_BACKEND: 'auto' },
  );
  // The first fails with CRIU's problem (never the simulator's NO_SUCH_PROCESS)...
  assert.ok(first?.code, JSON.stringify(first));
  assert.notEqual(first?.code, 'NO_SUCH_PROCESS', first?.message);
  assert.match(first?.message ?? '', /CRIU is not usable here/);
  // ...and the second is CRIU's checkpoint of the real process.
  assert.deepEqual(second, { pids: [victim.pid] });
});

test('without CRIU: checkpoint of a real pid is CRIU_NOT_FOUND, and `node-criu check` exits 1', async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const empty = join(dir, 'no-criu-home');
  mkdirSync(empty);
  const env = { PATH: '/usr/bin:/bin', NODE_CRIU_HOME: empty, HOME: dir };
  const [outcome] = await fresh(`await attempt(() => m.checkpoint(${victim.pid}));`, env);
  assert.equal(outcome?.code, 'CRIU_NOT_FOUND', outcome?.message);
  assert.match(outcome?.message ?? '', /install-criu|CRIU_BIN/);
  const checked = await run(process.execPath, [cli, 'check'], { env }).catch((e: { code: number }) => e);
  assert.equal((checked as { code?: number }).code, 1);
  // The simulator answers for what is its own only: told to use it, `check` says it cannot do real processes.
  const sim = await run(process.execPath, [cli, 'check'], { env: { ...env, NODE_CRIU_BACKEND: 'sim' } }).catch(
    (e: { code: number }) => e,
  );
  assert.equal((sim as { code?: number }).code, 1);
});
