// Checkpoint concern: the tree's fd table, checked (what CRIU cannot dump, advice that names
// nothing), its left-out fds told to CRIU as externals, and recorded in the manifest for restore to
// check substitutions against. What is recorded is read while CRIU has the tree frozen: the table
// is read first while CRIU starts and freezes the tree (on this machine's other core), the frozen
// tree is compared with it (the keys CRIU waits for come from that read), and the table is read
// again from the frozen tree. That read is synchronous up to every 64th fd, so for most trees it
// is done before CRIU's answer (CRIU waits for it, with the compare: ~0.3 ms for a tiny C
// process, measured with marks); a larger tree's goes on while CRIU dumps memory, still frozen.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CriuError } from '../errors.js';
import type { FdEntry } from '../fds/fd-entry.js';
import { assertAdviceMatches, assertDumpable, externalsFor, leaveOutRule } from '../fds/leave-out.js';
import { readTreeFds, sameFdTargets } from '../fds/proc-fds.js';
import { type CheckpointConcern, settles } from '../pipeline/checkpoint-phases.js';

export const fdTable: CheckpointConcern = {
  name: 'fd table',
  async begin({ pid, options }) {
    const rule = leaveOutRule(pid, options.leaveOut);
    const checked = (fds: FdEntry[]) => {
      assertDumpable(fds);
      assertAdviceMatches(pid, options.leaveOut, fds);
      return fds;
    };
    let early: Promise<FdEntry[] | undefined> | undefined;
    let fds: FdEntry[] = [];
    let frozen: Promise<FdEntry[]> | undefined;
    let frozenChecked: Promise<void> | undefined;
    let answered: string[] = [];
    // The frozen re-read checked against what CRIU was answered, once (settledEarly or post-dump).
    const checkFrozen = (read: Promise<FdEntry[]>) =>
      (frozenChecked ??= read.then((table) => {
        fds = checked(table);
        // Same fds to the same targets, but one was reopened between the two reads (another inode).
        if (externalsFor(fds).join('\n') !== answered.join('\n')) {
          throw new CriuError(
            'DUMP_FAILED',
            `An fd of the tree of pid ${pid} that is left out changed while CRIU was freezing the tree. Nothing was checkpointed and the tree runs on: checkpoint it again.`,
            { operation: 'checkpoint', pid },
          );
        }
      }));
    return {
      async beforeDump() {
        // Not awaited: it runs while CRIU starts (from the next turn of the loop, once CRIU is
        // spawned). A failure here only means reading it all frozen.
        early = nextTurn()
          .then(() => readTreeFds(pid, rule))
          .catch(() => undefined);
      },
      // Blocks CRIU: a tree of 100 took ~20 ms to read in full, ~3 ms to compare.
      async whileFrozen(pids) {
        const before = await early;
        if (before && sameFdTargets(before, pids)) {
          fds = checked(before);
          // Started now, not on a later turn: once answered, CRIU works inside the tree (its
          // parasite), and a read deferred to the next turn once saw a table other than this one
          // (a fresh-clone CI's lazy-restore test: the dump rolled back).
          frozen = readTreeFds(pid, rule, [...pids]);
          frozen.catch(() => {}); // awaited at post-dump, unless the dump failed first
        } else {
          fds = checked(await readTreeFds(pid, rule, [...pids]));
        }
        answered = externalsFor(fds);
        return answered;
      },
      async imagesWritten() {
        if (frozen) await checkFrozen(frozen);
      },
      // A refusal is left to imagesWritten, at post-dump, where it rolls the dump back.
      settledEarly: async () => !frozen || settles(checkFrozen(frozen)),
      record: async () => ({ fds }),
    };
  },
};
