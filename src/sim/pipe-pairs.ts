// The simulator's 'pipe' substitutes: Node socket pairs (sim/host-socket-pair.ts), made before
// the fd plan, since the simulator runs without the native addon that makes CRIU's.
import type { Socket } from 'node:net';
import type { FdEntry } from '../fds/fd-entry.js';
import type { FdSubstitutions } from '../fds/substitute.js';
import type { MadePipes, PipeMaker } from '../restore/fd-substitution.js';
import { hostSocketPair, socketFd } from './host-socket-pair.js';

export interface SimPipes extends PipeMaker {
  /** The ends given to the restored tree, by their fd (the plan's inherited fd). */
  theirs(): ReadonlyMap<number | undefined, Socket>;
}

export function simPipePairs(): SimPipes {
  const pairs = new Map<number, [Socket, Socket]>();
  return {
    theirs: () => new Map([...pairs.values()].map(([, theirs]) => [socketFd(theirs), theirs] as const)),
    async make(subs: FdSubstitutions | undefined, table: readonly FdEntry[], root: number): Promise<MadePipes> {
      const byKey = new Map<string, [Socket, Socket]>();
      const out: Record<number, unknown> = {};
      for (const [k, sub] of Object.entries(subs ?? {})) {
        const fd = Number(k);
        const entry = table.find((e) => e.pid === root && e.fd === fd);
        if (sub !== 'pipe' || !entry) {
          out[fd] = sub;
          continue;
        }
        // fds sharing one resource share one new pipe, as planSubstitutions gives them.
        const pair = byKey.get(entry.key) ?? (await hostSocketPair());
        byKey.set(entry.key, pair);
        pairs.set(fd, pair);
        out[fd] = pair[1];
      }
      return {
        subs: subs ? (out as FdSubstitutions) : subs,
        adopt(plan) {
          for (const [fd, [ours]] of pairs) {
            plan.streams.set(fd, ours);
            const entry = table.find((e) => e.pid === root && e.fd === fd);
            if (entry?.type === 'pipe') plan.newPipes.push({ entry, stream: ours });
          }
        },
        release(failed) {
          if (!failed) return;
          for (const [ours, theirs] of pairs.values()) {
            ours.destroy();
            theirs.destroy();
          }
        },
      };
    },
  };
}
