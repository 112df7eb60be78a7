// The simulator backend: the contract of src/backend.ts kept in pure TypeScript.
import type { Backend } from '../backend.js';
import { simCheck } from './check.js';
import { simCheckpoint } from './checkpoint.js';
import { simRestore } from './restore.js';

/** The simulator as a Backend (`sim.backend`): what `backend: 'sim'` runs. */
export const simBackend: Backend = {
  name: 'sim',
  check: () => simCheck(),
  checkpoint: (pid, options = {}) => simCheckpoint(pid, options),
  restore: (imagesDir, options = {}, read) => simRestore(imagesDir, options, read),
};
