// The simulator's public face (`sim` in the package's exports): spawn simulated processes, run
// its programs, seed its world, and its backend object.
export { simBackend as backend } from './backend.js';
export { type PidAllocator, type SequentialPidsOptions, sequentialPids } from './pids.js';
export type { SimProgram, SimProgramContext } from './programs/program.js';
export { defineProgram, programNames } from './programs/registry.js';
export type { SimRestoreOptions } from './restore.js';
export { SimChildProcess, type SimSpawnOptions, type SimStdio, spawn } from './spawn.js';
export type { SimSegment, SimShmSubstitute } from './sysv.js';
export { resetSimWorld as reset, SimWorld, type SimWorldOptions, simWorld as world } from './world.js';
