#!/usr/bin/env node
// npm run demo: checkpoints a real counting process, kills it, restores it, and shows it continuing.
// Where CRIU cannot run (no Linux, no root, no CRIU), it does the same on the simulator and says so.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { check, checkpoint, restore, sim, spawn } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'node-criu-demo-'));
// The counter, its images and its count go with the demo (each run used to leave them in /tmp).
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const count = join(work, 'count');
const readCount = () => Number.parseInt(readFileSync(count, 'utf8'), 10);
const say = (msg) => console.log(`demo: ${msg}`);

const status = await check();
// 'auto' never gives a real process to the simulator, so the demo chooses it itself where CRIU
// cannot run, and says why.
const criuUnusable = !status.usable && status.selection.requested === 'auto';
if (status.selection.chosen === 'sim' || criuUnusable) {
  const why = criuUnusable ? status.problems.map((p) => p.message).join('; ') : status.selection.reason;
  say(`backend sim: ${why}`);
  say('running on the SIMULATOR (pure TypeScript): simulated processes, real CRIU-format images');
  await simDemo();
  process.exit(0);
}
if (!status.usable) {
  for (const p of status.problems) console.error(`demo: [${p.code}] ${p.message}\n      fix: ${p.fix}`);
  process.exit(1);
}
say(`backend ${status.backend}, CRIU ${status.version} at ${status.criuPath}`);

// The victim: a small C program that counts in memory and publishes the count to a file.
const bin = join(work, 'counter');
execFileSync('cc', ['-O2', '-o', bin, join(root, 'test/fixtures/counter.c')]);
// node-criu's spawn: a session leader that inherits no stray fd of ours (a shell's or a CI
// runner's fd without close-on-exec would otherwise be dumped with it and need a substitute).
const child = spawn(bin, [count], { stdio: 'ignore' });
child.unref();
const pid = child.pid;
while (!existsSync(count)) await sleep(10);
await sleep(1000);
say(`started counter, pid ${pid}; after 1 s it has counted to ${readCount()}`);

const cp = await checkpoint(pid, { imagesDir: join(work, 'images') });
const atDump = readCount();
say(`checkpointed pid ${pid} into ${cp.imagesDir} at count ${atDump}`);
say(
  `  CRIU: frozen ${(cp.stats.frozenTimeUs / 1000).toFixed(1)} ms, ${cp.stats.pagesWritten} pages written; the process was killed`,
);
await sleep(1000);
say(
  `1 s later the process is ${existsSync(`/proc/${pid}`) ? 'STILL ALIVE (unexpected)' : 'gone'} and the count is still ${readCount()}`,
);

const restored = await restore(cp.imagesDir);
say(`restored pid ${restored.pid} as a child of this Node process`);
await sleep(1000);
const after = readCount();
say(`1 s after the restore the count is ${after}: it continued from ${atDump}, not from 0`);

restored.kill('SIGTERM');
const exit = await restored.exited;
say(
  `stopped the restored process (${exit.signal}); it was reaped. Done: ${after > atDump ? 'state survived' : 'FAILED'}`,
);
process.exit(after > atDump ? 0 : 1);

/** The same story on the simulator: a simulated echo counter, checkpointed and restored on new pipes. */
async function simDemo() {
  const lines = (stream) => {
    let text = '';
    stream.on('data', (d) => (text += d));
    return () => text;
  };
  const tick = (text) => Number([...text.matchAll(/tick (\d+)/g)].at(-1)?.[1] ?? 0);
  const child = sim.spawn('echo-counter', [], { stdio: 'pipe' });
  const before = lines(child.stdout);
  await sleep(500);
  say(`started simulated echo-counter, pid ${child.pid}; after 0.5 s it has ticked ${tick(before())} times`);
  const cp = await checkpoint(child.pid, { imagesDir: join(work, 'images') });
  const atDump = tick(before());
  say(`checkpointed pid ${child.pid} into ${cp.imagesDir} at tick ${atDump} (${cp.stats.pagesWritten} pages written)`);
  const exit = await child.exited;
  say(
    `the simulated process was killed (${exit.signal}); its ${cp.fds.filter((f) => f.leftOut).length} stdio fds were left out`,
  );
  const restored = await restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'pipe' } });
  const after = lines(restored.stdout);
  await sleep(500);
  restored.stdin.write('hello\n');
  await sleep(100);
  say(`restored pid ${restored.pid} on new pipes; it ticks on from ${atDump}: ${after().split('\n')[0]}`);
  say(
    `and answers: ${
      after()
        .split('\n')
        .find((l) => l.startsWith('echo')) ?? '(no answer)'
    }`,
  );
  restored.kill('SIGTERM');
  await restored.exited;
  const ok = tick(after()) > atDump;
  say(ok ? 'Done: state survived (simulator)' : 'FAILED');
  if (!ok) process.exit(1);
}
