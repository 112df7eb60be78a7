// Contract: a checkpointed tree restores with its state continuing, on every backend.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { forEachBackend, killSimProcesses, lastTick, waitFor } from '../helpers/contract-backends.js';

after(killSimProcesses);

forEachBackend(({ backend, startEcho }) => {
  it('restores a stdio-pipe child on new pipes, its count and its answers continuing', async () => {
    const victim = startEcho();
    const before = await waitFor(victim.stdout, /tick 3\n/);
    victim.stdin.write('first\n');
    const answered = await waitFor(victim.stdout, /echo first at (\d+)\n/);
    const cp = await backend.checkpoint(victim.pid);
    await victim.exited;
    assert.equal(cp.pid, victim.pid);
    assert.deepEqual(cp.pids, [victim.pid]);
    assert.deepEqual(
      cp.fds.map((f) => [f.fd, f.type, f.leftOut]),
      [
        [0, 'unix', true],
        [1, 'unix', true],
        [2, 'unix', true],
      ],
    );
    const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'pipe' } });
    try {
      assert.equal(restored.pid, victim.pid);
      assert.ok(restored.stdout && restored.stdin);
      const next = await waitFor(restored.stdout, /tick (\d+)\n/);
      const firstAfter = Number(/tick (\d+)/.exec(next)?.[1]);
      assert.ok(
        firstAfter > lastTick(before + answered),
        `the count went on from ${lastTick(answered)}: ${firstAfter}`,
      );
      restored.stdin.write('second\n');
      const reply = await waitFor(restored.stdout, /echo second at (\d+)\n/);
      assert.ok(Number(/echo second at (\d+)/.exec(reply)?.[1]) >= firstAfter);
    } finally {
      restored.kill('SIGTERM');
    }
    assert.deepEqual(await restored.exited, { code: null, signal: 'SIGTERM' });
  });

  it('leaves the tree running on request; restoring while it holds its pid is PID_IN_USE', async () => {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 2\n/);
    const cp = await backend.checkpoint(victim.pid, { leaveRunning: true });
    assert.equal(cp.leftRunning, true);
    // Still running: it keeps counting on the same stream.
    const more = await waitFor(victim.stdout, /tick \d+\n/);
    assert.ok(lastTick(more) > 0);
    await assert.rejects(
      backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: 'null', 2: 'null' }, pidWaitTimeout: 50 }),
      (error) => isCriuError(error, 'PID_IN_USE') && error.pid === victim.pid,
    );
    victim.kill();
    await victim.exited;
    const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'null' } });
    assert.ok(restored.stdout);
    await waitFor(restored.stdout, /tick \d+\n/);
    restored.kill('SIGKILL');
    assert.equal((await restored.exited).signal, 'SIGKILL');
  });
});
