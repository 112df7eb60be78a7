#!/usr/bin/env node
// Runs every compiled test file with Node's test runner (Node 20 has no --test globs).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2); // optional filters: substrings of test file paths

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
  );
}
const files = find(join(root, 'dist/test'))
  .map((f) => relative(root, f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test');
  process.exit(1);
}
// Every temporary file of the run, node-criu's default images dirs included (a test that checks a
// checkpoint need not remove it), goes into one dir of the run's own, removed after it: a run
// used to leave hundreds of checkpoints in /tmp. Sticky and world-writable, as /tmp is.
const scratch = mkdtempSync(join(tmpdir(), 'node-criu-tests-'));
chmodSync(scratch, 0o1777);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: scratch },
});
rmSync(scratch, { recursive: true, force: true });
process.exit(r.status ?? 1);
