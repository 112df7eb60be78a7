// The CLI end to end: dump a setsid'd process, restore it detached, and errors with exit codes.
import assert from 'node:assert/strict';
import { execFile, spawn as spawnChild } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadNative } from '../../src/native.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import {
  alive,
  fixture,
  killAll,
  readCount,
  scratchDir,
  startCounter,
  waitForCount,
  waitGone,
} from '../helpers/victims.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

async function nodeCriu(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('node-criu dump then restore --detach: the tree keeps running after the CLI exits', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', String(victim.pid), '-D', images, '--json');
  assert.equal(dump.code, 0, dump.stderr);
  assert.deepEqual(JSON.parse(dump.stdout).pids, [victim.pid]);
  await waitGone(victim.pid);
  const atDump = readCount(victim.stateFile);

  const restored = await nodeCriu('restore', '-D', images, '--detach');
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(Number(restored.stdout.trim()), victim.pid);
  assert.ok(alive(victim.pid), 'still running after the CLI exited');
  await waitForCount(victim.stateFile, atDump + 20);
});

test('node-criu restore --lazy-pages --detach returns once every page is in, saying how they came', {
  skip,
}, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  assert.equal((await nodeCriu('dump', String(victim.pid), '-D', images)).code, 0);
  await waitGone(victim.pid);
  const atDump = readCount(victim.stateFile);
  const restored = await nodeCriu('restore', '-D', images, '--lazy-pages', '--detach');
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(
    restored.stderr,
    /all pages in: [1-9]\d* lazy \(\d+ on fault, \d+ in the background\); restored eagerly: /,
  );
  await waitForCount(victim.stateFile, atDump + 5);
});

test('node-criu check --json reports usable', { skip }, async () => {
  const r = await nodeCriu('check', '--json');
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).usable, true);
});

test('CLI errors: usage mistakes exit 2, failures exit 1 with the code', async () => {
  const unknown = await nodeCriu('dump', '12', '-D', '/tmp/x', '--leave-runnin');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--leave-runnin'/);
  const noDir = await nodeCriu('dump', '12');
  assert.equal(noDir.code, 2);
  assert.match(noDir.stderr, /dump needs -D <dir>/);
  const badPid = await nodeCriu('dump', 'abc', '-D', '/tmp/x');
  assert.equal(badPid.code, 2);
  const command = await nodeCriu('frobnicate');
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command 'frobnicate'/);
});

test('CLI failure: dumping a missing pid exits 1 with NO_SUCH_PROCESS in JSON', { skip }, async () => {
  const r = await nodeCriu('dump', '4000000', '-D', join(scratchDir(), 'x'), '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stderr).error.code, 'NO_SUCH_PROCESS');
});

test('node-criu dump --leave-out, fds -D shows it, restore --fd substitutes it', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', String(victim.pid), '-D', images, '--leave-out', '0');
  assert.equal(dump.code, 0, dump.stderr);
  // What a restore will need, with the flag that provides it.
  assert.match(
    dump.stdout,
    new RegExp(
      `^restore:  fd 0 of pid ${victim.pid} \\(file [^)]+\\), left out by --leave-out: required, --fd 0=`,
      'm',
    ),
  );
  const table = await nodeCriu('fds', '-D', images);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^PID\s+FD\s+TYPE/);
  assert.match(
    table.stdout,
    new RegExp(`^${victim.pid}\\s+0\\s+file\\s+r\\s.*/dev/null.*file\\[[0-9a-f]+:[0-9a-f]+\\]\\s+left out$`, 'm'),
  );
  const json = JSON.parse((await nodeCriu('fds', '-D', images, '--json')).stdout);
  assert.equal(json.find((e: { fd: number }) => e.fd === 0).leftOut, true);
  await waitGone(victim.pid);

  const without = await nodeCriu('restore', '-D', images, '--detach');
  assert.equal(without.code, 1);
  assert.match(without.stderr, /INVALID_SUBSTITUTION.*fd 0 of pid/);
  // A misspelt keyword is a usage mistake, not a file named after it.
  const typo = await nodeCriu('restore', '-D', images, '--detach', '--fd', '0=nul');
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /--fd 0=nul: 'nul' is not .* Did you mean 'null'\?/);
  const restored = await nodeCriu('restore', '-D', images, '--detach', '--fd', '0=null');
  assert.equal(restored.code, 0, restored.stderr);
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
});

test('parity with criu dump && criu restore -d: a setsid process holding a pipe to outside needs no flags', {
  skip,
}, async () => {
  const dir = scratchDir();
  const stateFile = join(dir, 'count');
  // A shell or CI runner hands such a pipe down: fd 3 of the victim, its read end ours.
  const [readEnd, writeEnd] = loadNative().pipePair();
  const child = spawnChild(fixture('counter'), [stateFile, '0'], {
    stdio: ['ignore', 'ignore', 'ignore', writeEnd],
    detached: true,
  });
  closeSync(writeEnd);
  child.unref();
  assert.ok(child.pid);
  cleanup.push(child.pid);
  await waitForCount(stateFile, 1);
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', String(child.pid), '-D', images);
  assert.equal(dump.code, 0, dump.stderr);
  await waitGone(child.pid);
  const atDump = readCount(stateFile);

  const restored = await nodeCriu('restore', '-D', images, '--detach');
  closeSync(readEnd);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(Number(restored.stdout.trim()), child.pid);
  // Reported, with the flag that would have substituted it.
  assert.match(restored.stderr, new RegExp(`fd 3 of pid ${child.pid} \\(pipe pipe:\\[\\d+\\]\\).*--fd 3=`));
  await waitForCount(stateFile, atDump + 10);
});
