// Host mode at restore: the tree, restored stopped, gets each segment attached at its original
// address; only when every one is attached is the tree resumed (restore/sysv-host.ts).
import { byTask } from './attachments.js';
import { FinalState } from './inject.js';
import type { SysvManifest } from './manifest-section.js';
import { attachInPlace } from './reattach.js';

/** Attaches every recorded attachment to its planned segment (shmid -> id). Throws on the first failure. */
export async function attachRestored(section: SysvManifest, ids: ReadonlyMap<number, number>): Promise<void> {
  for (const [pid, list] of byTask(section.attachments)) {
    await attachInPlace(pid, list, (a) => ids.get(a.shmid) ?? a.shmid, FinalState.Unchanged, 'restore');
  }
}
