// Fuzzing of the public surface (CLI argv, option objects) shared by the reliability tests and scripts/stress.mjs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, isCriuError, restore } from '../../src/index.js';
import { below, prng, type Random } from './images-mutate.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A pid no process has (checked), so that no fuzzed call can ever dump a real process. */
export function deadPid(): number {
  for (let pid = 4_194_303; pid > 4_000_000; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid found');
}

/** Paths fuzzed calls may use: all inside `dir`, none a complete checkpoint. */
export function fuzzPaths(dir: string): string[] {
  const empty = join(dir, 'empty');
  const junk = join(dir, 'junk.img');
  mkdirSync(empty, { recursive: true });
  writeFileSync(junk, Buffer.from([0x19, 0x43, 0x56, 0x54, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
  return [empty, junk, join(dir, 'missing'), join(dir, 'out.img'), join(dir, 'x.json')];
}

const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)] as T;

/** argv for node-criu: real commands and flags mixed with junk; never install-criu, never a live pid. */
export function randomArgv(random: Random, paths: readonly string[], pid: number): string[] {
  const commands = ['dump', 'restore', 'verify', 'fds', 'show', 'decode', 'encode', 'check', 'bogus', '', '-h'];
  const flags = [
    '-D',
    '--leave-running',
    '--shell-job',
    '--external',
    '--leave-out',
    '--fd',
    '--inherit-fd',
    '--no-verify',
    '--json',
    '--detach',
    '--timeout',
    '--criu',
    '--type',
    '--out',
    '--force',
    '--shm',
    '--join-ns',
    '--sysv-leave-out-contents',
    '--',
    '-x',
    '--D',
  ];
  const values = [
    ...paths,
    String(pid),
    '0',
    '-1',
    'abc',
    '1e3',
    '99999999999999999999',
    '3=pipe',
    '0=inherit',
    '1=/dev/null',
    '=',
    'pipe:[1]=4',
    '0=file:/nonexistent',
    'ipc:/nonexistent',
    'all',
    'file[1:2]',
    'x'.repeat(3000),
    '\u00e9\u{1f600}',
    '/nonexistent/criu',
    'NaN',
  ];
  const argv = [pick(random, commands)];
  for (let i = below(random, 7); i > 0; i--) argv.push(random() < 0.5 ? pick(random, flags) : pick(random, values));
  return argv;
}

export interface CliOutcome {
  argv: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export function runCli(argv: readonly string[]): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ argv: [...argv], status, signal, stderr }));
  });
}

/** The CLI's contract under any argv: 0, 1 with a [CODE], or 2 with usage; never a stack trace. */
export function assertCliContract(o: CliOutcome): void {
  const what = `node-criu ${JSON.stringify(o.argv)} -> ${o.status ?? o.signal}: ${o.stderr.slice(0, 400)}`;
  assert.equal(o.signal, null, what);
  assert.ok(o.status === 0 || o.status === 1 || o.status === 2, what);
  assert.doesNotMatch(o.stderr, /^\s+at .+[(:]\d+/m, `stack trace: ${what}`);
  if (o.status === 1) assert.match(o.stderr, /\[[A-Z_]+\]/, `exit 1 without an error code: ${what}`);
  if (o.status === 2) assert.match(o.stderr, /node-criu: /, what);
}

/** Runs `count` fuzzed argv, two at a time; returns the outcomes by exit status. */
export async function fuzzCli(seed: number, count: number, dir: string): Promise<Record<string, number>> {
  const random = prng(seed);
  const paths = fuzzPaths(dir);
  const pid = deadPid();
  const tally: Record<string, number> = {};
  const queue = Array.from({ length: count }, () => randomArgv(random, paths, pid));
  const worker = async () => {
    for (let argv = queue.shift(); argv; argv = queue.shift()) {
      const outcome = await runCli(argv);
      assertCliContract(outcome);
      const key = `exit ${outcome.status}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
  };
  await Promise.all([worker(), worker()]);
  return tally;
}

function randomValue(random: Random, paths: readonly string[], depth = 0): unknown {
  switch (below(random, 14)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return pick(random, [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 3, 65536]);
    case 3:
      return pick(random, [...paths, '', 'pipe', 'inherit', 'null', '../../../etc', 'x'.repeat(10_000), 'a\0b']);
    case 4:
      return random() < 0.5;
    case 5:
      return () => random() < 0.5;
    case 6:
      return depth > 2 ? [] : Array.from({ length: below(random, 4) }, () => randomValue(random, paths, depth + 1));
    case 7:
      return depth > 2 ? {} : randomObject(random, paths, depth + 1);
    case 8:
      return 10n;
    case 9:
      return Symbol('fuzz');
    case 10:
      return new AbortController().signal;
    case 11:
      return AbortSignal.abort();
    case 12:
      return { 3: pick(random, ['pipe', 'null', 7, -1, '']) };
    default:
      return new Date(0);
  }
}

const OPTION_NAMES = [
  'imagesDir',
  'leaveRunning',
  'shellJob',
  'tcpEstablished',
  'fileLocks',
  'extUnixSk',
  'external',
  'ghostLimit',
  'leaveOut',
  'leaveOutMappings',
  'digest',
  'hooks',
  'signal',
  'timeout',
  'criuPath',
  'fds',
  'mappings',
  'skipFileRwxCheck',
  'replayPipeData',
  'allowSizeChange',
  'verify',
  'inheritFds',
  'joinNs',
  'pidWaitTimeout',
  'workDir',
  'leaveRunnig',
  'constructor',
  '__proto__',
  'toString',
];

function randomObject(random: Random, paths: readonly string[], depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = below(random, 4); i > 0; i--) {
    Object.defineProperty(out, pick(random, OPTION_NAMES), {
      value: randomValue(random, paths, depth),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return out;
}

/** A description of anything, even an object whose toString is not a function. */
function describe(value: unknown): string {
  try {
    return typeof value === 'string'
      ? value
      : String(Object.entries(value as object).map(([k, v]) => `${k}: ${typeof v}`));
  } catch {
    return typeof value;
  }
}

/** What a fuzzed call may do: fail with these, or (rarely, for a valid option set) nothing worse. */
function allowed(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || isCriuError(error);
}

/**
 * `count` random option objects (and non-objects) to checkpoint() of a dead pid and restore() of
 * dirs that hold no checkpoint: each must throw TypeError/RangeError/CriuError within `hangMs`.
 */
export async function fuzzOptions(
  seed: number,
  count: number,
  dir: string,
  hangMs = 20_000,
): Promise<Record<string, number>> {
  const random = prng(seed);
  const paths = fuzzPaths(dir);
  const pid = deadPid();
  const tally: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const options = random() < 0.9 ? randomObject(random, paths) : randomValue(random, paths);
    const call: () => Promise<unknown> =
      random() < 0.5 ? () => checkpoint(pid, options as never) : () => restore(pick(random, paths), options as never);
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), hangMs);
    });
    const outcome = await Promise.race([
      Promise.resolve()
        .then(call)
        .then(
          () => 'resolved',
          (error: unknown) => error,
        ),
      hang,
    ]);
    clearTimeout(timer);
    assert.notEqual(outcome, 'hang', `hung on ${describe(options)}`);
    assert.notEqual(outcome, 'resolved', 'a call on a dead pid or a dir without a checkpoint succeeded');
    assert.ok(allowed(outcome), `${describe(options)} threw ${describe((outcome as Error)?.stack ?? outcome)}`);
    const key = isCriuError(outcome) ? `CriuError ${outcome.code}` : (outcome as Error).constructor.name;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}
