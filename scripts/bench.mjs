#!/usr/bin/env node
// The benchmarks of issue 7: node-criu side by side with raw CRIU, alternating A/B. A full run
// writes bench/results.md and .json; `--quick` (fewer and smaller victims, a few minutes) writes
// bench/results-quick.*, `--only=1,3` (those cases) bench/results-only-1-3.*. RUNS=n: rounds per
// case (at least 5). Run as root after `npm run setup`.
//
// It measures under Node 24, users' line, whatever Node starts it (Node 20 is past its end of
// life): started by another, it runs itself again with the Node 24 that provision-node keeps in
// .cache/node-24/. The library then runs under Node 24, and so does the idle Node victim (started
// through node-criu's spawn, which blocks io_uring as for any Node 22+ child). BENCH_NODE=current
// keeps the Node that started it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cases } from './bench/cases/index.mjs';
import { makeContext } from './bench/context.mjs';
import { compileFixtures } from './bench/fixtures.mjs';
import { criuPath } from './bench/raw-criu.mjs';
import { writeResults } from './bench/report.mjs';
import { makeScratch } from './bench/scratch.mjs';
import { provisionNode } from './provision-node.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_MAJOR = 24;
if (process.versions.node.split('.')[0] !== String(BENCH_MAJOR) && process.env.BENCH_NODE !== 'current') {
  const node = provisionNode({ major: BENCH_MAJOR, log: (line) => console.error(`bench: ${line}`) });
  const again = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const quick = values.quick ?? false;
const runs = Math.max(5, Number(process.env.RUNS ?? (quick ? 5 : 7)));
// A small victim's operations take 25-50 ms and spread by a few ms between rounds on this VM: the
// median of 7 moved by more than the 5% its target allows (a full run's tiny C checkpoint 1.10,
// 51-round A/Bs of the same code 1.03), and 21 by 2-4% (1.07 against 1.03), while a round costs
// well under a second.
const smallRuns = runs * 7;
// The 1 GiB victim's rows are bimodal on this VM, on both sides alike (a dump took 0.4 s or 2.4 s;
// touching memory first did not change that), so a median of 7 fell anywhere between the two; the
// 100 MiB rows spread less, but moved too. The 4 GiB victim keeps 7: a round takes half a minute.
const largeRuns = runs * 2;
const only = values.only ? new Set(values.only.split(',')) : undefined;
if (process.getuid?.() !== 0) {
  console.error('bench: CRIU needs root; run as root.');
  process.exit(1);
}

const started = Date.now();
const scratch = makeScratch();
const bins = compileFixtures(scratch.dir('bin'));
const log = (message) => console.error(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
const ctx = makeContext({ runs, smallRuns, largeRuns, quick, scratch, bins, log });
const rows = [];
for (const [id, run] of Object.entries(cases)) {
  if (only && !only.has(id)) continue;
  for (const r of await run(ctx)) {
    rows.push(r);
    log(
      `  ${r.name}: ${r.a?.median?.toFixed(2) ?? '-'} vs ${r.b?.median?.toFixed(2) ?? '-'} ${r.unit}${r.ratio ? `, ratio ${r.ratio.toFixed(3)}` : ''} ${r.note}`,
    );
  }
}
const meta = {
  date: new Date().toISOString(),
  quick,
  runs,
  smallRuns,
  largeRuns,
  durationS: Math.round((Date.now() - started) / 1000),
  criuVersion: execFileSync(criuPath, ['--version'], { encoding: 'utf8' }).match(/Version: (\S+)/)?.[1] ?? '?',
  machine: `${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, Node ${process.versions.node}`,
};
// Only a full run replaces the definitive bench/results.md; partial runs get names of their own.
const name = only ? `results-only-${[...only].join('-')}` : quick ? 'results-quick' : 'results';
console.log(writeResults(ROOT, name, rows, meta));
log('done');
