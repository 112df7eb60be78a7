// The contract suite's backends: each test file registers its tests once per backend with
// forEachBackend(), and the harness gives it what differs (how to start the victim, a dead pid).
// Real CRIU is used when it is usable here (in CI it must be, unless NODE_CRIU_BACKEND=sim);
// the simulator always.
import { type ChildProcess, execFile, spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { describe } from 'node:test';
import { promisify } from 'node:util';
import { type Backend, type Capability, capabilitiesOf } from '../../src/backend.js';
import type { BackendName } from '../../src/backend-choice.js';
import { check } from '../../src/index.js';
import { simBackend } from '../../src/sim/backend.js';
import { spawn as simSpawn } from '../../src/sim/spawn.js';
import { simWorld } from '../../src/sim/world.js';

export { waitFor } from './contract-streams.js';

const execFileAsync = promisify(execFile);

function segmentData(id: number): Buffer {
  const segment = simWorld().sysv.get(id);
  if (!segment) throw new Error(`no simulated segment ${id}`);
  return segment.data;
}

export interface Victim {
  pid: number;
  stdin: Writable;
  /** Undefined when fd 1 was given an fd. */
  stdout: Readable;
  kill(): void;
  exited: Promise<unknown>;
}

/** Host SysV segments as the backend sees them, and the pipeline stage that works on one. */
export interface SysvHarness {
  /** A new segment of `size` bytes; its id. */
  create(size: number): Promise<number>;
  /** The u32 at offset 0 (the stage's frame number). */
  read(id: number): Promise<number>;
  write(id: number, value: number): Promise<void>;
  remove(id: number): Promise<void>;
  /** The stage ("stage N" every 10 ms, N advanced in the segment), stdio all 'pipe'. */
  startStage(id: number): Victim;
}

export interface ContractBackend {
  name: BackendName;
  backend: Backend;
  capabilities: ReadonlySet<Capability>;
  /** The echo counter ("tick N" every 20 ms, "echo LINE at N" per line), stdio 'pipe' unless given fds. */
  startEcho(stdio?: readonly ('pipe' | number)[]): Victim;
  /** A pid no process holds. */
  deadPid(): Promise<number>;
  sysv: SysvHarness;
  /** Why a capability is missing, for the skip message. */
  lacks(capability: Capability): string | false;
}

function realVictim(stdio: readonly ('pipe' | number)[]): Victim {
  // Loaded only for the CRIU backend: the simulator's run must not need the compiler or the addon.
  return realEcho(stdio);
}

function notPrepared(): never {
  throw new Error('CRIU backend not prepared');
}

let realEcho: (stdio: readonly ('pipe' | number)[]) => Victim = notPrepared;
let realSysv: SysvHarness = {
  create: notPrepared,
  read: notPrepared,
  write: notPrepared,
  remove: notPrepared,
  startStage: notPrepared,
};

function childVictim(child: ChildProcess): Victim {
  if (!child.pid || !child.stdin) throw new Error('the victim did not start');
  const exited = once(child, 'exit');
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout as Readable,
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}

async function prepareCriu(): Promise<void> {
  const { fixture } = await import('./victims.js');
  const { spawn } = await import('../../src/launch/spawn.js');
  const bin = fixture('echo-counter');
  realEcho = (stdio) => childVictim(spawn(bin, [], { stdio: [...stdio] }));
  const tool = fixture('contract-sysv-tool');
  const stage = fixture('contract-sysv-stage');
  const run = async (...args: string[]) => (await execFileAsync(tool, args)).stdout.trim();
  realSysv = {
    create: async (size) => Number(await run('create', String(size))),
    read: async (id) => Number(await run('peek', String(id))),
    write: async (id, value) => void (await run('poke', String(id), String(value))),
    remove: async (id) => void (await run('rm', String(id))),
    startStage(id) {
      const child = spawn(stage, [String(id)], { stdio: 'pipe' });
      child.stderr?.resume(); // drained, so that it ends with the process
      return childVictim(child);
    },
  };
}

const criu: ContractBackend = {
  name: 'criu',
  backend: (await import('../../src/criu/backend.js')).criuBackend,
  capabilities: capabilitiesOf('criu'),
  startEcho: (stdio = ['pipe', 'pipe', 'pipe']) => realVictim(stdio),
  async deadPid() {
    const child = spawnChild('true', [], { stdio: 'ignore' });
    await once(child, 'exit');
    return child.pid as number;
  },
  get sysv() {
    return realSysv;
  },
  lacks: (c) => (capabilitiesOf('criu').has(c) ? false : `the CRIU backend lacks capability '${c}'`),
};

function simVictim(program: string, args: string[], stdio: readonly ('pipe' | number)[]): Victim {
  const child = simSpawn(program, args, { stdio });
  if (!child.stdin) throw new Error(`${program} got no stdin`);
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout as Readable,
    kill: () => child.kill('SIGKILL'),
    exited: child.exited,
  };
}

const sim: ContractBackend = {
  name: 'sim',
  backend: simBackend,
  capabilities: capabilitiesOf('sim'),
  startEcho: (stdio = ['pipe', 'pipe', 'pipe']) => simVictim('echo-counter', [], stdio),
  async deadPid() {
    const child = simSpawn('counter', [], { stdio: 'ignore' });
    child.kill('SIGKILL');
    await child.exited;
    return child.pid;
  },
  sysv: {
    create: async (size) => simWorld().sysv.create(0, size).id,
    read: async (id) => segmentData(id).readUInt32LE(0),
    write: async (id, value) => {
      segmentData(id).writeUInt32LE(value, 0);
    },
    remove: async (id) => {
      simWorld().sysv.remove(id);
    },
    startStage: (id) => simVictim('sysv-stage', [String(id)], ['pipe', 'pipe', 'pipe']),
  },
  lacks: (c) => (capabilitiesOf('sim').has(c) ? false : `the simulator lacks capability '${c}'`),
};

async function criuSkipReason(): Promise<string | false> {
  if (process.env.NODE_CRIU_BACKEND === 'sim') return 'NODE_CRIU_BACKEND=sim runs the simulator only';
  const result = await check({ backend: 'criu' });
  if (result.usable) {
    await prepareCriu();
    return false;
  }
  const why = `CRIU is not usable here: ${result.problems.map((p) => `${p.message} (${p.fix})`).join('; ')}`;
  if (process.env.CI) throw new Error(`CI must run the contract suite against CRIU, but ${why}`);
  return why;
}

const criuSkip = await criuSkipReason();

/** Registers `tests` for each backend (real CRIU skipped with the reason when it is not usable). */
export function forEachBackend(tests: (b: ContractBackend) => void): void {
  describe('backend criu', { skip: criuSkip }, () => {
    if (!criuSkip) tests(criu);
  });
  describe('backend sim', () => tests(sim));
}

/** The last "tick N" in `text`. */
export function lastTick(text: string): number {
  const all = [...text.matchAll(/tick (\d+)/g)];
  return Number(all.at(-1)?.[1] ?? 0);
}

/** Ends every simulated process the tests left behind. */
export function killSimProcesses(): void {
  for (const p of simWorld().processes()) p.kill('SIGKILL');
}
