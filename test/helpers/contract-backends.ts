// The contract suite's backends: each test file registers its tests once per backend with
// forEachBackend(), and the harness gives it what differs (how to start the victim, a dead pid).
// Real CRIU is used when it is usable here (in CI it must be, unless NODE_CRIU_BACKEND=sim);
// the simulator always.
import { spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { describe } from 'node:test';
import { type Backend, type BackendName, type Capability, capabilitiesOf } from '../../src/backend.js';
import { check } from '../../src/index.js';
import { simBackend } from '../../src/sim/backend.js';
import { spawn as simSpawn } from '../../src/sim/spawn.js';
import { simWorld } from '../../src/sim/world.js';

export { waitFor } from './contract-streams.js';

export interface Victim {
  pid: number;
  stdin: Writable;
  /** Undefined when fd 1 was given an fd. */
  stdout: Readable;
  kill(): void;
  exited: Promise<unknown>;
}

export interface ContractBackend {
  name: BackendName;
  backend: Backend;
  capabilities: ReadonlySet<Capability>;
  /** The echo counter ("tick N" every 20 ms, "echo LINE at N" per line), stdio 'pipe' unless given fds. */
  startEcho(stdio?: readonly ('pipe' | number)[]): Victim;
  /** A pid no process holds. */
  deadPid(): Promise<number>;
  /** Why a capability is missing, for the skip message. */
  lacks(capability: Capability): string | false;
}

function realVictim(stdio: readonly ('pipe' | number)[]): Victim {
  // Loaded only for the CRIU backend: the simulator's run must not need the compiler or the addon.
  return realEcho(stdio);
}

let realEcho: (stdio: readonly ('pipe' | number)[]) => Victim = () => {
  throw new Error('CRIU backend not prepared');
};

async function prepareCriu(): Promise<void> {
  const { fixture } = await import('./victims.js');
  const { spawn } = await import('../../src/spawn.js');
  const bin = fixture('echo-counter');
  realEcho = (stdio) => {
    const child = spawn(bin, [], { stdio: [...stdio] });
    if (!child.pid || !child.stdin) throw new Error('echo-counter did not start');
    const exited = once(child, 'exit');
    return {
      pid: child.pid,
      stdin: child.stdin,
      stdout: child.stdout as Readable,
      kill: () => child.kill('SIGKILL'),
      exited,
    };
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
  lacks: (c) => (capabilitiesOf('criu').has(c) ? false : `the CRIU backend lacks capability '${c}'`),
};

const sim: ContractBackend = {
  name: 'sim',
  backend: simBackend,
  capabilities: capabilitiesOf('sim'),
  startEcho(stdio = ['pipe', 'pipe', 'pipe']) {
    const child = simSpawn('echo-counter', [], { stdio });
    if (!child.stdin) throw new Error('echo-counter got no stdin');
    return {
      pid: child.pid,
      stdin: child.stdin,
      stdout: child.stdout as Readable,
      kill: () => child.kill('SIGKILL'),
      exited: child.exited,
    };
  },
  async deadPid() {
    const child = simSpawn('counter', [], { stdio: 'ignore' });
    child.kill('SIGKILL');
    await child.exited;
    return child.pid;
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
