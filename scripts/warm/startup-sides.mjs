// The ways to a warm server answering, as sides of scripts/bench/ab.mjs's alternate(), timed alike:
// from the start (spawn, or restore of the checkpoint) until the first HTTP answer. Whatever a
// measure started is kept in the side's state, so that cleanup ends it even when the measure threw.
import { restore } from '../../dist/src/index.js';
import { endCopies } from './copies.mjs';
import { firstAnswer } from './http.mjs';
import { startCold, startFromSnapshot } from './servers.mjs';

const elapsedSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** A side that starts one server process (`start()` resolves once it listens). */
function started(start) {
  return {
    prepare: () => ({ servers: [] }),
    measure: async (state) => {
      const t0 = process.hrtime.bigint();
      const server = await start();
      state.servers.push(server);
      await firstAnswer(server.port);
      return { ms: elapsedSince(t0) };
    },
    cleanup: (state) => Promise.all(state.servers.map((s) => s.stop())),
  };
}

/**
 * A side that restores `count` lazy copies at once, timed until every copy has answered on the
 * port they share (told apart by host pid, which each reads from /proc/self): with one copy, the
 * time to its first answer.
 */
export function copiesSide(imagesDir, port, count) {
  return {
    prepare: () => ({ copies: [] }),
    measure: async (state) => {
      const t0 = process.hrtime.bigint();
      const settled = await Promise.allSettled(
        Array.from({ length: count }, () => restore(imagesDir, { lazyPages: true })),
      );
      state.copies.push(...settled.flatMap((r) => (r.status === 'fulfilled' ? [{ handle: r.value }] : [])));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const waiting = new Set(state.copies.map((c) => c.handle.pid));
      for (let i = 0; i < 100 * count && waiting.size > 0; i++) waiting.delete((await firstAnswer(port)).hostPid);
      const ms = elapsedSince(t0);
      if (waiting.size > 0) throw new Error(`copies ${[...waiting].join(', ')} never answered on port ${port}`);
      return { ms };
    },
    cleanup: (state) => endCopies(state.copies),
  };
}

/** Cold start, Node's startup snapshot and one lazily restored copy of the warm checkpoint. */
export function startupSides(node, app, imagesDir, port) {
  return {
    restored: copiesSide(imagesDir, port, 1),
    cold: started(() => startCold(node, app)),
    snapshot: started(() => startFromSnapshot(node, app)),
  };
}
