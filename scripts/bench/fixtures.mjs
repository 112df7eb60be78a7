// The bench's victim programs: C sources compiled into the scratch dir, and one way to start any
// victim (a session leader without stray fds, via node-criu's spawn) and wait until it is ready.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawn } from '../../dist/src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = {
  memhog: join(ROOT, 'test/fixtures/memhog.c'),
  series: join(ROOT, 'test/fixtures/series-victim.c'),
  tree: join(ROOT, 'scripts/bench/fixtures/bench-tree.c'),
  bandwidth: join(ROOT, 'scripts/bench/fixtures/bench-bandwidth.c'),
  sysv: join(ROOT, 'scripts/bench/fixtures/bench-sysv.c'),
  pidFree: join(ROOT, 'scripts/bench/fixtures/bench-pid-free.c'),
  pagesReader: join(ROOT, 'scripts/bench/fixtures/bench-pages-reader.c'),
};

/** Compiles every fixture into `dir`; returns their paths by name. */
export function compileFixtures(dir) {
  const bins = {};
  for (const [name, source] of Object.entries(SOURCES)) {
    bins[name] = join(dir, name);
    execFileSync('cc', ['-O2', '-o', bins[name], source]);
  }
  return bins;
}

/**
 * The victims of the latency cases, each `(bins, ready) => [command, args]`; every one creates
 * the file `ready` once it is in its steady state (memory touched, children forked).
 */
export const VICTIMS = {
  'tiny C': (bins, ready) => [bins.memhog, ['0', ready]],
  // `sleep` is a child for most of each second: a two-process tree, as a shell job usually is.
  'bash loop': (_bins, ready) => ['bash', ['-c', ': > "$0"; while :; do sleep 1; done', ready]],
  'idle Node': (_bins, ready) => [
    process.execPath,
    ['-e', 'require("fs").writeFileSync(process.argv[1], ""); setInterval(() => {}, 1e6)', ready],
  ],
  'C, 100 MiB': (bins, ready) => [bins.memhog, ['100', ready]],
  'C, 1 GiB': (bins, ready) => [bins.memhog, ['1024', ready]],
  'C, 4 GiB': (bins, ready) => [bins.memhog, ['4096', ready]],
  'tree of 100': (bins, ready) => [bins.tree, ['100', ready]],
  'tree of 20': (bins, ready) => [bins.tree, ['20', ready]],
};

/**
 * Starts `command` as a session leader with stdio 'ignore' (or as given) and resolves once
 * `ready` exists (and is not empty, when `content` is asked for). Rejects if it exits first.
 */
export async function startVictim(
  command,
  args,
  ready,
  { stdio = 'ignore', content = false, timeoutMs = 60_000 } = {},
) {
  const child = spawn(command, args, { stdio });
  let exit;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });
  child.on('error', (error) => {
    exit = { error };
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(ready) && (!content || readFileSync(ready, 'utf8').endsWith('\n'))) break;
    if (exit) throw new Error(`victim ${command} ended before it was ready: ${JSON.stringify(exit)}`);
    if (Date.now() > deadline) throw new Error(`victim ${command} not ready after ${timeoutMs} ms`);
    await sleep(5);
  }
  return { pid: child.pid, child, ready: content ? readFileSync(ready, 'utf8').trim() : '' };
}
