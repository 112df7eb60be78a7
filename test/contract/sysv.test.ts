// Contract: a stage attached to a host-namespace SysV segment restores attached to a live
// substitute, its progress continuing from the substitute's contents; a substitute too small or
// gone is refused first. A backend without the 'sysv-host' capability says so in the skip message.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';

after(killSimProcesses);

forEachBackend(({ backend, lacks, sysv }) => {
  it('restores a SysV stage attached to a substitute segment, continuing from its frame', {
    skip: lacks('sysv-host'),
  }, async () => {
    const segments: number[] = [];
    const create = async (size: number) => {
      const id = await sysv.create(size);
      segments.push(id);
      return id;
    };
    try {
      const segment = await create(8192);
      const stage = sysv.startStage(segment);
      await waitFor(stage.stdout, /stage 3\n/);
      const cp = await backend.checkpoint(stage.pid);
      await stage.exited;
      // Not read to their end: let go of them, or they keep the test process alive.
      stage.stdout.destroy();
      stage.stdin.destroy();
      const substitute = await create(8192);
      await sysv.write(substitute, 1000);
      const fds = { 0: 'null', 1: 'pipe', 2: 'null' } as const;
      const small = await create(4096);
      await assert.rejects(backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment]: small } } }), (e) =>
        isCriuError(e, 'INVALID_SUBSTITUTION'),
      );
      const gone = await create(8192);
      await sysv.remove(gone);
      await assert.rejects(backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment]: gone } } }), (e) =>
        isCriuError(e, 'INVALID_SUBSTITUTION'),
      );
      const restored = await backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment]: substitute } } });
      assert.ok(restored.stdout);
      const out = await waitFor(restored.stdout, /stage (\d+)\n/);
      assert.ok(Number(/stage (\d+)/.exec(out)?.[1]) > 1000, out);
      // The original segment stopped moving: the stage works on the substitute only.
      const frame = await sysv.read(segment);
      await waitFor(restored.stdout, /stage 1005\n/);
      assert.equal(await sysv.read(segment), frame);
      restored.kill('SIGKILL');
      await restored.exited;
      restored.stdout.destroy();
    } finally {
      for (const id of segments) await sysv.remove(id).catch(() => {});
    }
  });
});
