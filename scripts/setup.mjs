#!/usr/bin/env node
// Idempotent set-up for `npm test` and `npm run demo`: dependencies, TypeScript, the addon and
// CRIU, each redone only when out of date, so a second run takes a moment.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './native-build.mjs';
import { provisionNode, TESTED_LINES } from './provision-node.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const quiet = process.argv.includes('--quiet');
const say = (msg) => quiet || console.error(`setup: ${msg}`);

function run(cmd, args, what) {
  say(what);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`setup: failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

/** Newest mtime under the given paths (files or dirs, recursively). */
function newest(paths) {
  let max = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
    else max = Math.max(max, s.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return max;
}
const mtime = (p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0);

// 1. Dependencies: npm ci when node_modules is missing or older than the lock file.
if (
  !existsSync(join(root, 'node_modules/.package-lock.json')) ||
  mtime('package-lock.json') > mtime('node_modules/.package-lock.json')
) {
  run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], 'installing dependencies (npm ci)');
}

// 2. TypeScript, when a source is newer than the last build.
if (newest(['src', 'test', 'tsconfig.json']) > mtime('dist/.built')) {
  run('node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], 'compiling TypeScript');
  run('node', ['-e', "require('fs').writeFileSync('dist/.built', '')"], 'stamping the build');
}

// 3. The native addon (Linux only: the simulator never needs it).
if (process.platform === 'linux' && process.env.NODE_CRIU_BACKEND !== 'sim') {
  if (newest(['native', 'binding.gyp']) > mtime('build/Release/node_criu.node')) {
    // With -Werror: a new warning fails the project's own builds (users' builds keep it a warning).
    say('building the native addon');
    const r = buildNative({ werror: true, silent: true });
    if (r.status !== 0) {
      console.error(`setup: failed: node-gyp (exit ${r.status ?? r.signal})`);
      process.exit(r.status || 1);
    }
  }
  // 4. CRIU: reused when it works, built from Debian's source package otherwise.
  if (process.getuid?.() === 0) {
    const r = spawnSync('bash', ['scripts/install-criu.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) {
      console.error('setup: CRIU could not be provisioned (see above)');
      process.exit(r.status || 1);
    }
  } else {
    say('not root: CRIU is not provisioned; the CRIU backend needs root (see README, "Requirements")');
  }
}

// 5. The Node lines users run (into .cache/node-<major>/) for the tests of Node children, and
// Node 24 for CI's second run of the suite: Node >= 22 opens io_uring, which only node-criu's
// spawn()/fork() make checkpointable.
if (process.platform === 'linux' && process.arch === 'x64' && process.env.NODE_CRIU_BACKEND !== 'sim') {
  for (const major of TESTED_LINES) {
    try {
      provisionNode({ major, log: say });
    } catch (error) {
      console.error(`setup: Node ${major} could not be provisioned: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    }
  }
}
