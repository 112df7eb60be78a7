// The programs the simulator can run, by name (a checkpoint names its program in core's comm).
import { CriuError, type CriuOperation } from '../../errors.js';
import { counter } from './counter.js';
import { echoCounter } from './echo-counter.js';
import type { SimProgram } from './program.js';
import { sysvStage } from './sysv-stage.js';

const programs = new Map<string, SimProgram>([counter, echoCounter, sysvStage].map((p) => [p.name, p]));

/** Adds a program of the caller's (its name must be new, at most 15 bytes: it is the task's comm). */
export function defineProgram(program: SimProgram): void {
  if (Buffer.byteLength(program.name) > 15) throw new RangeError('A program name has at most 15 bytes (comm).');
  if (programs.has(program.name)) throw new RangeError(`The simulator already has a program '${program.name}'.`);
  programs.set(program.name, program);
}

/** The names of the programs sim.spawn can run: the built-in ones and those defined with defineProgram. */
export function programNames(): string[] {
  return [...programs.keys()];
}

export function findProgram(name: string, operation: CriuOperation): SimProgram {
  const program = programs.get(name);
  if (!program) {
    throw new CriuError(
      operation === 'restore' ? 'INVALID_IMAGES' : 'UNSUPPORTED',
      `The simulator has no program '${name}' (it has ${programNames().join(', ')}): ${
        operation === 'restore'
          ? 'these images were not written by the simulator, or by one with more programs.'
          : 'define it with sim.defineProgram().'
      }`,
      { operation },
    );
  }
  return program;
}
