// Contract: a restored process is held as a ChildProcess is (events, exit state, kill), on every backend.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, it } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import type { RestoredProcess } from '../../src/types.js';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';

after(killSimProcesses);

/** The events of `restored` in order, with their arguments, and whether stdio was closed at 'close'. */
function recordEvents(restored: RestoredProcess) {
  const events: unknown[][] = [];
  let stdioClosedAtClose: boolean | undefined;
  restored.on('exit', (code, signal) => events.push(['exit', code, signal]));
  restored.on('close', (code, signal) => {
    events.push(['close', code, signal]);
    stdioClosedAtClose = restored.stdio.every((s) => s === undefined || !s.readable || s.closed);
  });
  restored.on('error', (error) => events.push(['error', error.message]));
  return { events, stdioClosedAtClose: () => stdioClosedAtClose };
}

forEachBackend(({ backend, startEcho }) => {
  async function restoredEcho(): Promise<RestoredProcess> {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 2\n/);
    const cp = await backend.checkpoint(victim.pid);
    await victim.exited;
    return backend.restore(cp.imagesDir);
  }

  it("exits with its code: 'exit' then 'close' (stdio closed by then), exitCode, exited", async () => {
    const restored = await restoredEcho();
    const { events, stdioClosedAtClose } = recordEvents(restored);
    assert.equal(restored.exitCode, null);
    assert.equal(restored.signalCode, null);
    assert.equal(restored.killed, false);
    assert.ok(restored.stdin && restored.stdout);
    await waitFor(restored.stdout, /tick \d+\n/);
    const closed = once(restored, 'close');
    restored.stdin.write('exit 7\n');
    assert.deepEqual(await restored.exited, { code: 7, signal: null });
    await closed;
    assert.deepEqual(events, [
      ['exit', 7, null],
      ['close', 7, null],
    ]);
    assert.equal(stdioClosedAtClose(), true, "every readable stdio stream closed before 'close'");
    assert.equal(restored.exitCode, 7);
    assert.equal(restored.signalCode, null);
    assert.equal(restored.killed, false);
    assert.equal(restored.kill(), false, 'kill() after the exit sends nothing');
  });

  it("ends by a signal: kill() is true and sets killed, 'exit' and 'close' carry the signal", async () => {
    const restored = await restoredEcho();
    const { events } = recordEvents(restored);
    // Nobody reads stdout: 'close' must still come (the stream is drained after the exit).
    assert.equal(restored.kill(0), true, 'signal 0 probes a live root');
    assert.equal(restored.kill('SIGTERM'), true);
    assert.equal(restored.killed, true);
    const [code, signal] = await once(restored, 'exit');
    assert.deepEqual([code, signal], [null, 'SIGTERM']);
    assert.equal(restored.exitCode, null);
    assert.equal(restored.signalCode, 'SIGTERM');
    await once(restored, 'close');
    assert.deepEqual(events, [
      ['exit', null, 'SIGTERM'],
      ['close', null, 'SIGTERM'],
    ]);
    assert.deepEqual(await restored.exited, { code: null, signal: 'SIGTERM' });
    assert.equal(restored.kill('SIGKILL'), false);
  });

  it('refuses an unknown signal name with a TypeError and nothing sent', async () => {
    const restored = await restoredEcho();
    try {
      assert.throws(() => restored.kill('SIGNOPE' as NodeJS.Signals), TypeError);
      assert.equal(restored.killed, false);
      assert.equal(restored.exitCode, null);
    } finally {
      restored.kill('SIGKILL');
    }
    assert.equal((await restored.exited).signal, 'SIGKILL');
  });

  it('has no IPC channel unless the checkpointed process had one: send() reports CHANNEL_CLOSED', async () => {
    const restored = await restoredEcho();
    try {
      assert.equal(restored.connected, false);
      const error = await new Promise<Error | null>((resolve) => restored.send({ hello: 1 }, resolve));
      assert.ok(isCriuError(error, 'CHANNEL_CLOSED'), `CHANNEL_CLOSED expected, got ${String(error)}`);
      const emitted = once(restored, 'error');
      assert.equal(restored.send('no callback'), false);
      const [viaEvent] = await emitted;
      assert.ok(isCriuError(viaEvent, 'CHANNEL_CLOSED'));
    } finally {
      restored.kill('SIGKILL');
    }
    await once(restored, 'close');
  });
});
