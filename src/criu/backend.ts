// The real-CRIU backend: the contract of src/backend.ts kept by CRIU's RPC.
import type { Backend } from '../backend.js';
import { criuCheck } from './check.js';
import { criuCheckpoint } from './checkpoint.js';
import { criuRestore } from './restore.js';

export const criuBackend: Backend = {
  name: 'criu',
  check: (options = {}) => criuCheck(options),
  checkpoint: (pid, options = {}) => criuCheckpoint(pid, options),
  restore: (imagesDir, options = {}, read) => criuRestore(imagesDir, options, read),
};
