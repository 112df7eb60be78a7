#!/usr/bin/env node
// Runs CRIU's zdtm static tests twice each: through raw CRIU (`criu dump -t PID`, `criu restore -d`)
// and through the node-criu CLI with no flags (`dump PID -D DIR`, `restore -D DIR --detach`).
// Each run: start the test as zdtm does (`make NAME.pid`: it daemonizes, writes its pid and waits)
// holding a pipe to outside the tree at fd 7, as a shell or CI runner hands down,
// dump (the tree is killed), wait for every pid of the image to be free, restore (retrying a bounded
// number of times while the kernel still refuses a freed pid), SIGTERM, then PASS/FAIL from NAME.out.
//
//   node scripts/zdtm/run.mjs [--raw-only|--node-only] [names...]   (default: scripts/zdtm/list.mjs)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildZdtm, ROOT } from './build.mjs';
import { TESTS } from './list.mjs';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const RESTORE_TRIES = 20; // x 250 ms: a freed pid stays unusable for 1-2 s on this kernel
const STEP_TIMEOUT_MS = 60_000;
/** The inherited pipe to outside the tree every test gets, as zdtm's own runner hands down. */
const OUTSIDE_FD = 7;

function criuBinary() {
  if (process.env.CRIU_BIN) return process.env.CRIU_BIN;
  const local = join(process.env.NODE_CRIU_HOME ?? join(ROOT, '.criu'), 'bin/criu');
  if (existsSync(local)) return local;
  return 'criu';
}

const alive = (pid) => existsSync(`/proc/${pid}`);

/** Every pid and tid of the tree rooted at `pid` (threads included: their ids must be free too). */
function treeIds(pid) {
  const out = new Set();
  const walk = (p) => {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tids) {
      out.add(Number(t));
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {}
      for (const k of kids.split(/\s+/).filter(Boolean)) if (!out.has(Number(k))) walk(Number(k));
    }
  };
  walk(pid);
  return [...out];
}

/** SIGKILLs those of `pids` that still run one of the zdtm test binaries (never anything else). */
function killTests(pids, staticDir) {
  for (const pid of pids) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`).startsWith(staticDir)) process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

async function waitGone(pids, ms) {
  const end = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** Runs a command to completion with a timeout; SIGKILLs it (and so never leaves it) on timeout. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: STEP_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    ...opts,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** The first Error lines of a CRIU log, without the harmless rlimit line that every run logs. */
function criuErrors(logPath, max = 2) {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
  return text
    .split('\n')
    .filter((l) => /Error \(/.test(l) && !/RLIMIT_NOFILE/.test(l))
    .slice(0, max)
    .map((l) => l.replace(/^\(\d+\.\d+\)\s*/, '').trim())
    .join(' | ');
}

/** node-criu's own error lines (stderr), without the informational "had its other end" lines. */
function cliError(r) {
  const lines = (r.stderr + r.stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errs = lines.filter((l) => /^node-criu: (\[|error)/.test(l) || /Error/.test(l));
  return (errs.length ? errs : lines).slice(0, 3).join(' | ').slice(0, 600) || `exit ${r.status ?? r.signal}`;
}

/** The zdtm .desc of a test, as a few fields (it is a Python dict literal). */
function descOf(staticDir, name) {
  const p = join(staticDir, `${name}.desc`);
  if (!existsSync(p)) return {};
  const text = readFileSync(p, 'utf8');
  const field = (k) => new RegExp(`['"]${k}['"]\\s*:\\s*['"]([^'"]*)['"]`).exec(text)?.[1];
  return {
    opts: field('opts'),
    dopts: field('dopts'),
    ropts: field('ropts'),
    flags: field('flags'),
    flavor: field('flavor'),
  };
}

/** The SIGTERM-then-result step of zdtm: the test checks its state and writes PASS or FAIL. */
function outcome(staticDir, name) {
  for (const f of [`${name}.out`, `${name}.out.inprogress`]) {
    const p = join(staticDir, f);
    if (!existsSync(p)) continue;
    const text = readFileSync(p, 'utf8');
    if (f === `${name}.out` && text.split(/\s+/).includes('PASS')) return { pass: true };
    const bad = text
      .split('\n')
      .filter((l) => /FAIL|ERR|fail|rror/.test(l))
      .slice(0, 2)
      .map((l) => l.replace(/^[\d:.]+:\s*\d+:\s*/, '').trim());
    return { pass: false, reason: `test says: ${(bad.length ? bad : text.trim().split('\n').slice(-2)).join(' | ')}` };
  }
  return { pass: false, reason: 'test wrote no result' };
}

/** One start/dump/restore/check cycle of `test` with `mode` ('raw' or 'node'). */
async function cycle(test, mode, ctx) {
  const { staticDir, criu } = ctx;
  const name = test.name;
  const images = join(ctx.runDir, name, mode);
  const res = { name, mode, pass: false, stage: 'start', reason: '', ms: 0 };
  const t0 = Date.now();
  let pids = [];
  let outside;
  try {
    run('make', ['--no-print-directory', `${name}.cleanout`], { cwd: staticDir });
    rmSync(images, { recursive: true, force: true });
    // As zdtm.py: `make NAME.pid` with stdio inherited, plus what a shell or CI runner hands down:
    // a pipe at fd 7 whose read end stays here, outside the tree (every other fd is closed).
    const start = `for f in /proc/$$/fd/*; do n=\${f##*/}; [ "$n" -gt 2 ] && [ "$n" != ${OUTSIDE_FD} ] && eval "exec $n>&-"; done; exec ${
      test.ipcns ? 'unshare --ipc ' : ''
    }make --no-print-directory ${name}.pid`;
    outside = ctx.native.pipePair();
    const stdio = Array.from({ length: OUTSIDE_FD + 1 }, (_, fd) => (fd === OUTSIDE_FD ? outside[1] : 'ignore'));
    const s = run('bash', ['-c', start], { cwd: staticDir, stdio });
    closeSync(outside[1]);
    const pidFile = join(staticDir, `${name}.pid`);
    if (s.status !== 0 || !existsSync(pidFile)) {
      res.reason = `start failed (exit ${s.status ?? s.signal}): ${outcome(staticDir, name).reason ?? ''}`;
      return res;
    }
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    pids = treeIds(pid);

    res.stage = 'dump';
    let d;
    if (mode === 'raw') {
      mkdirSync(images, { recursive: true });
      d = run(criu, ['dump', '-t', String(pid), '-D', images, '-o', 'dump.log', '-v4']);
    } else {
      d = run(process.execPath, [CLI, 'dump', String(pid), '-D', images]);
    }
    if (d.status !== 0) {
      res.reason = mode === 'raw' ? criuErrors(join(images, 'dump.log')) || cliError(d) : cliError(d);
      return res;
    }
    res.stage = 'restore';
    if (!(await waitGone(pids, 20_000))) {
      res.reason = `dumped tree still alive after 20 s: ${pids.filter(alive).join(' ')}`;
      return res;
    }
    let r;
    for (let i = 0; i < RESTORE_TRIES; i++) {
      if (mode === 'raw') r = run(criu, ['restore', '-D', images, '-d', '-o', 'restore.log', '-v4']);
      else r = run(process.execPath, [CLI, 'restore', '-D', images, '--detach']);
      if (r.status === 0) break;
      const text = mode === 'raw' ? criuErrors(join(images, 'restore.log'), 50) : r.stderr;
      if (!/File exists|PID_IN_USE/.test(text) || pids.some(alive)) break;
      await sleep(250);
    }
    if (r.status !== 0) {
      res.reason = mode === 'raw' ? criuErrors(join(images, 'restore.log')) || cliError(r) : cliError(r);
      return res;
    }
    res.stage = 'check';
    if (!alive(pid)) {
      res.reason = 'restored root exited before SIGTERM';
    } else {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone([pid], 30_000))) {
        res.reason = 'no exit within 30 s of SIGTERM';
        return res;
      }
    }
    const o = outcome(staticDir, name);
    res.pass = o.pass;
    if (o.pass) res.stage = 'done';
    else res.reason = res.reason || o.reason;
    return res;
  } finally {
    if (outside) closeSync(outside[0]);
    // Nothing may survive a cycle: the test tree (by pid, only if it still runs a zdtm binary).
    killTests(pids, staticDir);
    await waitGone(pids, 10_000);
    res.ms = Date.now() - t0;
  }
}

/**
 * Builds what is needed and runs `names` (default: the list) in the given modes.
 * Returns { version, tests: [{ name, area, raw: {pass, stage, reason, ms}, node: {...} }], counts }.
 */
export async function runZdtm({ names, modes = ['raw', 'node'], log = () => {} } = {}) {
  const chosen = names?.length ? names.map((n) => TESTS.find((t) => t.name === n) ?? { name: n, area: '?' }) : TESTS;
  const built = buildZdtm(
    chosen.map((t) => t.name),
    log,
  );
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/setup.mjs first`);
  const { loadNative } = await import(join(ROOT, 'dist/src/native.js'));
  const native = loadNative();
  const ctx = { staticDir: built.staticDir, criu: criuBinary(), runDir: join(built.dir, '..', 'run'), native };
  const tests = [];
  for (const t of chosen) {
    const entry = { name: t.name, area: t.area, ...(t.ipcns ? { ipcns: true } : {}) };
    const desc = descOf(ctx.staticDir, t.name);
    if (built.failed[t.name]) {
      for (const m of modes) entry[m] = { pass: false, stage: 'build', reason: built.failed[t.name].split('\n').pop() };
    } else if (desc.opts || desc.dopts || desc.ropts) {
      // Not in the list: the comparison is of runs without any CRIU option.
      for (const m of modes)
        entry[m] = {
          pass: false,
          stage: 'desc',
          reason: `needs CRIU options: ${desc.opts ?? ''} ${desc.dopts ?? ''} ${desc.ropts ?? ''}`,
        };
    } else {
      for (const m of modes) {
        const r = await cycle(t, m, ctx);
        entry[m] = { pass: r.pass, stage: r.stage, reason: r.reason, ms: r.ms };
      }
    }
    log(
      `${t.name.padEnd(24)} ${modes.map((m) => `${m} ${entry[m].pass ? 'PASS' : `FAIL (${entry[m].stage}) ${entry[m].reason}`}`).join('   ')}`,
    );
    tests.push(entry);
  }
  const count = (m) => tests.filter((e) => e[m]?.pass).length;
  const counts = Object.fromEntries(modes.map((m) => [m, count(m)]));
  return { version: built.version, criu: ctx.criu, total: tests.length, counts, tests };
}

/** Markdown table: one row per test. */
export function zdtmTable(out) {
  const modes = Object.keys(out.counts);
  const cell = (r) => (r.pass ? 'PASS' : `FAIL (${r.stage}): ${r.reason.replace(/\|/g, '\\|')}`);
  const lines = [
    `| test | area | ${modes.map((m) => (m === 'raw' ? 'raw CRIU' : 'node-criu')).join(' | ')} |`,
    `|---|---|${modes.map(() => '---|').join('')}`,
  ];
  for (const t of out.tests) {
    lines.push(`| ${t.name} | ${t.area}${t.ipcns ? ' (IPC ns)' : ''} | ${modes.map((m) => cell(t[m])).join(' | ')} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const modes = args.includes('--raw-only') ? ['raw'] : args.includes('--node-only') ? ['node'] : ['raw', 'node'];
  const names = args.filter((a) => !a.startsWith('--'));
  const t0 = Date.now();
  const out = await runZdtm({ names, modes, log: (m) => console.error(`[zdtm] ${m}`) });
  console.log(zdtmTable(out));
  console.log(
    `\n${out.total} tests, CRIU ${out.version}: ${modes.map((m) => `${m} ${out.counts[m]}/${out.total}`).join(', ')}; ${Math.round((Date.now() - t0) / 1000)} s`,
  );
  process.exit(0);
}
