// The CLI end to end: dump a setsid'd process, restore it detached or relayed, criu's spellings,
// the --json shapes, progress forced on, and errors with exit codes.
import assert from 'node:assert/strict';
import { execFile, spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawn } from '../../src/launch/spawn.js';
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

/** Runs the CLI as a script would: no terminal, no NODE_CRIU_PROGRESS unless `env` sets it. */
async function nodeCriuWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, NODE_CRIU_PROGRESS: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const nodeCriu = (...args: string[]) => nodeCriuWith({}, ...args);

/** A counter dumped with node-criu dump (killed by it): its dir, images and the count at the dump. */
async function dumpedCounter() {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  assert.equal((await nodeCriu('dump', String(victim.pid), '-D', images)).code, 0);
  await waitGone(victim.pid);
  return { dir, victim, images, atDump: readCount(victim.stateFile) };
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
  const { victim, images, atDump } = await dumpedCounter();
  const restored = await nodeCriu('restore', '-D', images, '--lazy-pages', '--detach');
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(
    restored.stderr,
    /all pages in: [1-9]\d* lazy \(\d+ on fault, \d+ in the background\); restored eagerly: /,
  );
  await waitForCount(victim.stateFile, atDump + 5);
});

test('node-criu export then import: the archive restores and the process counts on', { skip }, async () => {
  const { dir, victim, images, atDump } = await dumpedCounter();
  const archive = join(dir, 'job.tar');
  const exported = await nodeCriu('export', '-D', images, '-o', archive, '--json');
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(JSON.parse(exported.stdout).checkpoints, 1);
  const imported = await nodeCriu('import', '-i', archive, '-D', join(dir, 'imported'));
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /imported 1 checkpoint into .*imported, \d+ digests matched/);
  const missing = await nodeCriu('import', '-i', archive);
  assert.equal(missing.code, 2, 'a usage mistake');
  assert.equal((await nodeCriu('restore', '-D', join(dir, 'imported'), '-d')).code, 0);
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
  assert.equal(
    unknown.stderr,
    "node-criu: unknown option '--leave-runnin' (Did you mean --leave-running?)\nsee node-criu dump --help\n",
  );
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

test("criu's spellings: dump -t PID -D dir -R -j leaves it running; show says so; restore -D dir -d", {
  skip,
}, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', '-t', String(victim.pid), '-D', images, '-R', '-j');
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(dump.stdout, /^state: {4}left running$/m);
  assert.match(dump.stdout, /^stats: .*, \d+(\.\d)? (KiB|MiB) of pages written$/m);
  assert.doesNotMatch(dump.stderr, /node-criu: dump:/, 'no progress where stderr is no terminal');
  // -R: it counts on.
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 5);
  const shown = await nodeCriu('show', '-D', images);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^ {2}${victim.pid} counter \\[running, left running\\]`, 'm'));
  assert.match(shown.stdout, /^Memory of \d+ .*mapped, \d+(\.\d)? (B|KiB|MiB) dumped/m);
  assert.match(shown.stdout, /^ {2}START\s+END\s+SIZE\s+PROT\s+KIND\s+DUMPED\s+SHARED\s+OBJECT$/m);
  process.kill(victim.pid, 'SIGKILL');
  await waitGone(victim.pid);
  const atDump = readCount(victim.stateFile);

  const restored = await nodeCriu('restore', '-D', images, '-d', '-j');
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(Number(restored.stdout.trim()), victim.pid);
  await waitForCount(victim.stateFile, atDump + 10);
  process.kill(victim.pid, 'SIGKILL');
  await waitGone(victim.pid);

  // The same images, killed after the dump this time, and criu's --restore-detached.
  const again = join(dir, 'again');
  assert.equal((await nodeCriu('restore', '-D', images, '--restore-detached')).code, 0);
  assert.equal((await nodeCriu('dump', '--tree', String(victim.pid), '--images-dir', again)).code, 0);
  await waitGone(victim.pid);
  const killed = await nodeCriu('show', '-D', again);
  assert.match(killed.stdout, new RegExp(`^ {2}${victim.pid} counter \\[running, killed after the dump\\]`, 'm'));
});

test('--json shapes: dump prints the Checkpoint; restore -d its pid, pids and defaulted fds on stdout', {
  skip,
}, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', String(victim.pid), '-D', images, '--json');
  assert.equal(dump.code, 0, dump.stderr);
  const cp = JSON.parse(dump.stdout);
  assert.equal(cp.imagesDir, images);
  assert.equal(cp.pid, victim.pid);
  assert.deepEqual(cp.pids, [victim.pid]);
  assert.equal(cp.leftRunning, false);
  assert.ok(Array.isArray(cp.fds) && cp.fds.length >= 3, 'the fd table');
  assert.ok(Array.isArray(cp.needs), 'what a restore needs');
  assert.equal(typeof cp.logPath, 'string');
  assert.equal(typeof cp.stats?.pagesWritten, 'number');
  await waitGone(victim.pid);

  const restored = await nodeCriu('restore', '-D', images, '-d', '--json');
  assert.equal(restored.code, 0, restored.stderr);
  const out = JSON.parse(restored.stdout);
  assert.deepEqual(Object.keys(out).sort(), ['defaultedFds', 'pid', 'pids']);
  assert.equal(out.pid, victim.pid);
  assert.deepEqual(out.pids, [victim.pid]);
  assert.ok(Array.isArray(out.defaultedFds));
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 5);
});

test("restore relayed: stdout is the restored process's alone, the pid goes to stderr (--json: a JSON line)", {
  skip,
}, async () => {
  const dir = scratchDir();
  // Prints "tick N" on stdout, answers stdin, and exits with N on "exit N".
  const echo = spawn(fixture('echo-counter'), [], { stdio: 'pipe' });
  const pid = echo.pid as number;
  cleanup.push(pid);
  echo.stdout?.resume();
  echo.stderr?.resume();
  await once(echo.stdout as NodeJS.ReadableStream, 'data');
  const images = join(dir, 'images');
  const dump = await nodeCriu('dump', String(pid), '-D', images);
  assert.equal(dump.code, 0, dump.stderr);
  await waitGone(pid);

  for (const json of [false, true]) {
    const child = spawnChild(process.execPath, [cli, 'restore', '-D', images, ...(json ? ['--json'] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_CRIU_PROGRESS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const exited = once(child, 'exit');
    const deadline = Date.now() + 20_000;
    while ((stdout.match(/^tick \d+$/gm) ?? []).length < 2) {
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no ticks relayed: ${stderr}`);
      await sleep(20);
    }
    child.stdin.write('exit 7\n');
    const [code] = await exited;
    assert.equal(code, 7, stderr);
    // stdout: its ticks and its answer, nothing of ours.
    for (const line of stdout.trimEnd().split('\n')) assert.match(line, /^(tick \d+|echo .*)$/);
    if (json) {
      const line = stderr.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, stderr);
      const out = JSON.parse(line);
      assert.deepEqual(Object.keys(out).sort(), ['defaultedFds', 'pid', 'pids']);
      assert.equal(out.pid, pid);
      assert.deepEqual(
        out.defaultedFds
          .filter((d: { fd: number }) => d.fd <= 2)
          .map((d: { fd: number; became: string }) => [d.fd, d.became]),
        [
          [0, 'pipe'],
          [1, 'pipe'],
          [2, 'pipe'],
        ],
      );
    } else {
      assert.match(stderr, new RegExp(`^node-criu: restored pid ${pid}$`, 'm'));
    }
    // It exited: the same images serve the next round.
    await waitGone(pid);
  }
});

test('progress forced on: a 160 MiB dump and its restore report bytes of the total, rate and time', {
  skip,
}, async () => {
  const dir = scratchDir();
  const ready = join(dir, 'ready');
  const hog = spawn(fixture('memhog'), ['160', ready], { stdio: 'ignore' });
  const pid = hog.pid as number;
  cleanup.push(pid);
  while (!existsSync(ready)) await sleep(10);
  const images = join(dir, 'images');
  const mib = (text: string | undefined) => Number(text);

  const dump = await nodeCriu('dump', String(pid), '-D', images, '--progress', '--json');
  assert.equal(dump.code, 0, dump.stderr);
  JSON.parse(dump.stdout); // progress never mixes into stdout
  const dumpLines = dump.stderr.split('\n').filter((l) => l.startsWith('node-criu: dump: '));
  // First the estimate from /proc (the tree's memory), then the pages files as they grow.
  const first = /^node-criu: dump: 0 B of ~(\d+(?:\.\d)?) MiB \(0%\)$/.exec(dumpLines[0] ?? '');
  assert.ok(first, dump.stderr);
  assert.ok(mib(first[1]) >= 160 && mib(first[1]) < 200, `estimate ${first[1]} MiB`);
  const last =
    /^node-criu: dump: (\d+(?:\.\d)?) MiB of memory written in \d+(?:\.\d)? m?s \(\d+(?:\.\d)? (?:KiB|MiB|GiB)\/s\)$/.exec(
      dumpLines.at(-1) ?? '',
    );
  assert.ok(last, dump.stderr);
  assert.ok(mib(last[1]) >= 160 && mib(last[1]) < 200, `written ${last[1]} MiB`);
  for (const line of dumpLines.slice(1, -1)) {
    assert.match(
      line,
      /^node-criu: dump: \d+(\.\d)? (B|KiB|MiB) of ~\d+(\.\d)? MiB \(\d+%\)(, \d+(\.\d)? (B|KiB|MiB|GiB)\/s)?$/,
    );
  }
  await waitGone(pid);

  // NODE_CRIU_PROGRESS=1 forces it too.
  const restored = await nodeCriuWith({ NODE_CRIU_PROGRESS: '1' }, 'restore', '-D', images, '-d');
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(Number(restored.stdout.trim()), pid);
  const restoreLines = restored.stderr.split('\n').filter((l) => l.startsWith('node-criu: restore: '));
  assert.match(restoreLines[0] ?? '', /^node-criu: restore: 0 B of ~1[6-9]\d(\.\d)? MiB \(0%\)$/, restored.stderr);
  assert.match(
    restoreLines.at(-1) ?? '',
    /^node-criu: restore: 1[6-9]\d(\.\d)? MiB of memory read in \d+(\.\d)? m?s \(\d+(\.\d)? (KiB|MiB|GiB)\/s\)$/,
    restored.stderr,
  );
  // --no-progress wins over the environment.
  process.kill(pid, 'SIGKILL');
  await waitGone(pid);
  const quiet = await nodeCriuWith(
    { NODE_CRIU_PROGRESS: '1' },
    'dump',
    String(pid),
    '-D',
    join(dir, 'none'),
    '--no-progress',
  );
  assert.equal(quiet.code, 1);
  assert.doesNotMatch(quiet.stderr, /node-criu: dump:/);
});
