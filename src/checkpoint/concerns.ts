// The concerns of a checkpoint, in the order the runner begins them and runs each phase.
// Adding a capability to checkpoint = one module implementing CheckpointConcern + one line here.
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';
import { fdTable } from './fd-table.js';
import { integrity } from './integrity.js';
import { ipcChannel } from './ipc-channel.js';
import { mappings } from './mappings.js';
import { parentCheckpoint } from './parent.js';
import { sysv } from './sysv.js';

export const CHECKPOINT_CONCERNS: readonly CheckpointConcern[] = [
  fdTable,
  ipcChannel,
  mappings,
  sysv,
  parentCheckpoint,
  // After SysV and the parent: whether the pages are rewritten after the dump decides how they are hashed.
  integrity,
];
