#!/usr/bin/env node
// npm run stress: the long versions of the reliability tests; figures go to bench/stress.md and bench/stress.json.
// STRESS_SCALE=0.1 runs a tenth of everything (a quick look); the figures then say so.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const helpers = (name) => import(join(root, 'dist/test/helpers', name));
const { checkpoint, restore, isCriuError } = await import(join(root, 'dist/src/index.js'));
const { repeatCycles, concurrentCycle } = await helpers('reliability-load.js');
const { fuzzCli, fuzzOptions } = await helpers('reliability-fuzz.js');
const { killCriu, criuChildren, zombieChildren, livePids, digestDir, processFigures } =
  await helpers('reliability-probes.js');
const { startCounter, scratchDir, readCount, waitForCount, alive, killAll } = await helpers('victims.js');
const { runZdtm, zdtmTable } = await import(join(root, 'scripts/zdtm/run.mjs'));
const { TESTS: ZDTM_TESTS } = await import(join(root, 'scripts/zdtm/list.mjs'));

const scale = Number(process.env.STRESS_SCALE ?? 1);
const n = (full) => Math.max(1, Math.round(full * scale));
const results = { date: new Date().toISOString(), scale, node: process.version };
const log = (...a) => console.log('[stress]', ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the outcome of `work`, or 'hang' if it has not settled after `ms`. */
async function guarded(work, ms = 60_000) {
  let timer;
  const hang = new Promise((r) => {
    timer = setTimeout(() => r({ hang: true }), ms);
  });
  const out = await Promise.race([
    work.then(
      (value) => ({ value }),
      (error) => ({ error }),
    ),
    hang,
  ]);
  clearTimeout(timer);
  return out;
}

async function cycles() {
  const count = n(200);
  log(`${count} checkpoint/restore cycles of one process`);
  const f = await repeatCycles(count, (i) => i % 50 === 0 && log(`  cycle ${i}`));
  results.cycles = {
    cycles: count,
    before: f.before,
    after: f.after,
    checkpointMedianMs: median(f.checkpointMs),
    restoreMedianMs: median(f.restoreMs),
    criuLeft: criuChildren().length,
  };
}

async function concurrent() {
  const rounds = n(5);
  log(`${rounds} rounds of 8 checkpoints at once and 8 restores at once`);
  const out = [];
  for (let i = 0; i < rounds; i++) out.push(await concurrentCycle(8));
  results.concurrent = {
    rounds,
    processes: 8,
    checkpointMedianMs: median(out.map((o) => o.checkpointMs)),
    restoreMedianMs: median(out.map((o) => o.restoreMs)),
  };
}

/** CRIU SIGKILLed after a random delay during a dump (leaveRunning), on a counter that must survive. */
async function dumpKills() {
  const count = n(100);
  log(`${count} dumps with CRIU SIGKILLed after a random delay (0-150 ms)`);
  const tally = {};
  const dir = scratchDir();
  let victim = await startCounter(join(dir, 'count-0'));
  for (let i = 0; i < count; i++) {
    const delay = Math.floor(Math.random() * 150);
    const timer = setTimeout(killCriu, delay);
    const before = readCount(victim.stateFile);
    const out = await guarded(checkpoint(victim.pid, { imagesDir: join(dir, `images-${i}`), leaveRunning: true }));
    clearTimeout(timer);
    let key;
    if (out.hang) key = 'HANG';
    else if (out.error) key = isCriuError(out.error) ? `error ${out.error.code}` : `untyped ${out.error}`;
    else key = 'complete';
    await sleep(50);
    const intact =
      alive(victim.pid) &&
      (await waitForCount(victim.stateFile, before + 1, 3000).then(
        () => true,
        () => false,
      ));
    key += intact ? ', target intact' : ', TARGET LOST';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!intact) {
      killAll([victim.pid]);
      victim = await startCounter(join(dir, `count-${i + 1}`));
    }
  }
  killAll([victim.pid]);
  results.dumpKills = { runs: count, outcomes: tally, criuLeft: criuChildren().length };
}

/** CRIU SIGKILLed after a random delay during a restore: nothing may be left, the images restorable. */
async function restoreKills() {
  const count = n(50);
  log(`${count} restores with CRIU SIGKILLed after a random delay (0-120 ms)`);
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  const digests = JSON.stringify(digestDir(cp.imagesDir));
  const tally = {};
  let leftAlive = 0;
  let changed = 0;
  for (let i = 0; i < count; i++) {
    const timer = setTimeout(killCriu, Math.floor(Math.random() * 120));
    const out = await guarded(restore(cp.imagesDir));
    clearTimeout(timer);
    let key;
    if (out.hang) key = 'HANG';
    else if (out.error) key = isCriuError(out.error) ? `error ${out.error.code}` : `untyped ${out.error}`;
    else {
      key = 'restored';
      out.value.kill('SIGKILL');
      await out.value.exited;
    }
    tally[key] = (tally[key] ?? 0) + 1;
    for (let w = 0; w < 200 && livePids(cp.pids).length > 0; w++) await sleep(25);
    if (livePids(cp.pids).length > 0) {
      leftAlive++;
      killAll(cp.pids);
    }
    if (JSON.stringify(digestDir(cp.imagesDir)) !== digests) changed++;
  }
  const again = await restore(cp.imagesDir);
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 1);
  again.kill('SIGKILL');
  await again.exited;
  results.restoreKills = {
    runs: count,
    outcomes: tally,
    leftAlive,
    imagesChanged: changed,
    zombies: zombieChildren().length,
    restorableAfter: true,
  };
}

async function fuzz() {
  const cli = n(300);
  const options = n(5000);
  log(`fuzz: ${cli} CLI argv, ${options} option objects`);
  results.fuzz = {
    cliRuns: cli,
    cli: await fuzzCli(2024, cli, scratchDir()),
    optionRuns: options,
    options: await fuzzOptions(2024, options, scratchDir()),
  };
}

/** CRIU's own zdtm static tests, through raw CRIU and through the node-criu CLI with no flags. */
async function zdtm() {
  // STRESS_SCALE < 1 takes an evenly spread sample of the list.
  const count = Math.min(ZDTM_TESTS.length, n(ZDTM_TESTS.length));
  const step = ZDTM_TESTS.length / count;
  const names = Array.from({ length: count }, (_, i) => ZDTM_TESTS[Math.floor(i * step)].name);
  log(`zdtm: ${names.length} static tests, each through raw CRIU and through the node-criu CLI`);
  const out = await runZdtm({ names, log: (m) => log(`  ${m}`) });
  const differ = out.tests.filter((t) => t.raw.pass !== t.node.pass);
  results.zdtm = {
    criuVersion: out.version,
    tests: out.total,
    rawPass: out.counts.raw,
    nodeCriuPass: out.counts.node,
    // Tests whose outcome differs between raw CRIU and node-criu, with both reasons.
    differences: differ.map((t) => ({ name: t.name, raw: t.raw, node: t.node })),
    list: out.tests,
    table: zdtmTable(out),
  };
}

const started = Date.now();
const before = processFigures();
for (const step of [cycles, concurrent, dumpKills, restoreKills, fuzz, zdtm]) {
  const t = Date.now();
  await step();
  log(`  ${step.name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
results.process = { before, after: processFigures() };
results.durationS = Math.round((Date.now() - started) / 1000);

const r = results;
const fmt = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
const md = `# Stress run (npm run stress)

${r.date}, Node ${r.node}, scale ${r.scale}, ${r.durationS} s. Written by scripts/stress.mjs; raw figures in stress.json.

| scenario | result |
|---|---|
| ${r.cycles.cycles} checkpoint/restore cycles of one counter, count verified each time | fds ${r.cycles.before.fds} -> ${r.cycles.after.fds}, RSS ${r.cycles.before.rssKiB} -> ${r.cycles.after.rssKiB} KiB, zombies ${r.cycles.after.zombies}; median checkpoint ${r.cycles.checkpointMedianMs.toFixed(0)} ms, restore ${r.cycles.restoreMedianMs.toFixed(0)} ms |
| ${r.concurrent.rounds} rounds of 8 checkpoints at once + 8 restores at once | all correct; median ${r.concurrent.checkpointMedianMs.toFixed(0)} ms for the 8 checkpoints, ${r.concurrent.restoreMedianMs.toFixed(0)} ms for the 8 restores |
| ${r.dumpKills.runs} dumps, CRIU SIGKILLed after 0-150 ms | ${fmt(r.dumpKills.outcomes)}; CRIU processes left: ${r.dumpKills.criuLeft} |
| ${r.restoreKills.runs} restores, CRIU SIGKILLed after 0-120 ms | ${fmt(r.restoreKills.outcomes)}; processes left alive: ${r.restoreKills.leftAlive}; images changed: ${r.restoreKills.imagesChanged}; zombies: ${r.restoreKills.zombies}; restorable afterwards: ${r.restoreKills.restorableAfter} |
| ${r.fuzz.cliRuns} fuzzed CLI argv | ${fmt(r.fuzz.cli)}; no stack trace, no signal |
| ${r.fuzz.optionRuns} fuzzed option objects | ${fmt(r.fuzz.options)}; no hang |
| this Node process over the whole run | fds ${r.process.before.fds} -> ${r.process.after.fds}, RSS ${r.process.before.rssKiB} -> ${r.process.after.rssKiB} KiB, zombies ${r.process.after.zombies} |

## CRIU's zdtm static tests: raw CRIU vs the node-criu CLI (issue 11)

${r.zdtm.tests} of CRIU ${r.zdtm.criuVersion}'s own zdtm static tests (list and reasons for the choice:
scripts/zdtm/list.mjs), built from the CRIU source tarball by scripts/zdtm/build.mjs and run by
scripts/zdtm/run.mjs (\`node scripts/zdtm/run.mjs [names...]\` runs them alone). Each test is started
as zdtm starts it (\`make NAME.pid\`) holding, like a shell or CI runner hands down, a pipe at fd 7
whose other end stays outside the tree; it is dumped, restored once its pids are free, sent SIGTERM,
and passes when it writes PASS. Raw CRIU: \`criu dump -t PID -D DIR\` and \`criu restore -D DIR -d\`.
node-criu: \`node-criu dump PID -D DIR\` and \`node-criu restore -D DIR --detach\`, no other flag.
Tests marked "IPC ns" are started with \`unshare --ipc\` (zdtm runs them only in its namespace flavours).

**raw CRIU: ${r.zdtm.rawPass}/${r.zdtm.tests} pass; node-criu: ${r.zdtm.nodeCriuPass}/${r.zdtm.tests} pass.**
${
  r.zdtm.differences.length
    ? `\nDifferences:\n\n${r.zdtm.differences
        .map(
          (d) =>
            `- ${d.name}: raw CRIU ${d.raw.pass ? 'PASS' : `FAIL (${d.raw.stage}: ${d.raw.reason})`}, node-criu ${
              d.node.pass ? 'PASS' : `FAIL (${d.node.stage}: ${d.node.reason})`
            }`,
        )
        .join('\n')}\n`
    : '\nNo test differs between raw CRIU and node-criu.\n'
}
${r.zdtm.table}
`;
const { table: _table, ...zdtmJson } = results.zdtm;
writeFileSync(join(root, 'bench/stress.json'), `${JSON.stringify({ ...results, zdtm: zdtmJson }, null, 2)}\n`);
writeFileSync(join(root, 'bench/stress.md'), md);
console.log(md);
process.exit(0);
