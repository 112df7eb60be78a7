// Contract: a stage attached to a host-namespace SysV segment restores attached to a live
// substitute, its progress continuing from the substitute's contents. A backend without the
// 'sysv-host' capability says so in the skip message.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { spawn as simSpawn } from '../../src/sim/spawn.js';
import { simWorld } from '../../src/sim/world.js';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';

after(killSimProcesses);

forEachBackend(({ name, backend, lacks }) => {
  // The CRIU side of this case needs src/sysv's pipeline fixture; until then the capability says it.
  const skip =
    lacks('sysv-host') || (name === 'criu' ? 'no CRIU SysV stage fixture in the contract harness yet' : false);

  it('restores a SysV stage attached to a substitute segment, continuing from its frame', { skip }, async () => {
    const sysv = simWorld().sysv;
    const segment = sysv.create(0x5157, 8192);
    const stage = simSpawn('sysv-stage', [String(segment.id)], { stdio: ['pipe', 'pipe', 'pipe'] });
    assert.ok(stage.stdout);
    await waitFor(stage.stdout, /stage 3\n/);
    const cp = await backend.checkpoint(stage.pid);
    await stage.exited;
    const substitute = sysv.create(0, 8192);
    substitute.data.writeUInt32LE(1000, 0);
    const fds = { 0: 'null', 1: 'pipe', 2: 'null' } as const;
    // A substitute too small for the mapping, or a segment that is gone, is refused first.
    const small = sysv.create(0, 4096);
    await assert.rejects(backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment.id]: small.id } } }), (e) =>
      isCriuError(e, 'INVALID_SUBSTITUTION'),
    );
    await assert.rejects(backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment.id]: 999_999 } } }), (e) =>
      isCriuError(e, 'INVALID_SUBSTITUTION'),
    );
    const restored = await backend.restore(cp.imagesDir, { fds, sysv: { shm: { [segment.id]: substitute.id } } });
    assert.ok(restored.stdout);
    const out = await waitFor(restored.stdout, /stage (\d+)\n/);
    assert.ok(Number(/stage (\d+)/.exec(out)?.[1]) > 1000, out);
    // The original segment stopped moving: the stage works on the substitute only.
    const frame = segment.data.readUInt32LE(0);
    await waitFor(restored.stdout, /stage 1005\n/);
    assert.equal(segment.data.readUInt32LE(0), frame);
    restored.kill('SIGKILL');
    await restored.exited;
  });
});
