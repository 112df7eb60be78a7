#!/usr/bin/env node
// Benchmark: rewriting a checkpoint costs the same for 100 MiB and 1 GiB of memory (issue: rewrite
// is O(metadata)). Writes bench/rewrite.md and bench/rewrite.json. Run after `npm run setup`, as root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, relaxFiles, rewriteImages, spawn } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.RUNS ?? 7);
const work = mkdtempSync(join(tmpdir(), 'node-criu-bench-'));
const hog = join(work, 'memhog');
execFileSync('cc', ['-O2', '-o', hog, join(root, 'test/fixtures/memhog.c')]);

async function checkpointOf(mib) {
  const ready = join(work, `ready-${mib}`);
  const child = spawn(hog, [String(mib), ready], { stdio: 'ignore' });
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
  const cp = await checkpoint(child.pid, { imagesDir: join(work, `images-${mib}`), leaveRunning: true, digest: false });
  process.kill(child.pid, 'SIGKILL');
  return cp.imagesDir;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const dirs = { 100: await checkpointOf(100), 1024: await checkpointOf(1024) };
const times = { 100: [], 1024: [] };
// Alternating A/B so that drift hits both sizes alike.
for (let i = 0; i < runs; i++) {
  for (const mib of [100, 1024]) {
    const t = process.hrtime.bigint();
    const result = await rewriteImages(dirs[mib], (images) =>
      relaxFiles(images, [{ name: '/dev/null', mode: 0o20600 }]).then(() => {}),
    );
    times[mib].push(Number(process.hrtime.bigint() - t) / 1e6);
    rmSync(result.dir, { recursive: true, force: true });
  }
}
for (const mib of [100, 1024]) {
  const t = times[mib];
  rows.push({
    case: `rewrite files.img of a ${mib} MiB checkpoint`,
    medianMs: median(t),
    minMs: Math.min(...t),
    maxMs: Math.max(...t),
  });
}
const ratio = rows[1].medianMs / rows[0].medianMs;
const table = [
  '| case | median ms | min ms | max ms |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.case} | ${r.medianMs.toFixed(2)} | ${r.minMs.toFixed(2)} | ${r.maxMs.toFixed(2)} |`),
  '',
  `1 GiB / 100 MiB ratio: ${ratio.toFixed(2)} (${runs} alternating runs each; target: the same, under 20 ms)`,
].join('\n');
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench/rewrite.md'), `${table}\n`);
writeFileSync(join(root, 'bench/rewrite.json'), `${JSON.stringify({ runs, rows, ratio }, null, 2)}\n`);
console.log(table);
rmSync(work, { recursive: true, force: true });
