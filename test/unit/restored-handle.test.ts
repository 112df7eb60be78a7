// The shared part of the restored process handle, with a scripted root: failures to signal or to
// watch it are 'error' events and never unhandled rejections.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { RestoredHandle } from '../../src/process/restored-handle.js';
import type { ExitStatus } from '../../src/types.js';

class ScriptedHandle extends RestoredHandle {
  constructor(
    exit: Promise<ExitStatus>,
    readonly onSignal: (n: number) => boolean,
  ) {
    super({ pid: 4242, pids: [4242], streams: new Map(), defaultedFds: [], exit });
  }
  protected deliver(_signal: NodeJS.Signals | number, n: number): boolean {
    return this.onSignal(n);
  }
  ref(): void {}
  unref(): void {}
}

test("a signal that cannot be sent is an 'error' event, kill() false, killed unchanged", async () => {
  const eperm = Object.assign(new Error('kill EPERM'), { code: 'EPERM', syscall: 'kill' });
  const handle = new ScriptedHandle(new Promise(() => {}), () => {
    throw eperm;
  });
  const errors: Error[] = [];
  handle.on('error', (e) => errors.push(e));
  assert.equal(handle.kill('SIGTERM'), false);
  assert.deepEqual(errors, [eperm]);
  assert.equal(handle.killed, false);
});

test('without an error listener a failed signal throws from kill(), as ChildProcess does', () => {
  const handle = new ScriptedHandle(new Promise(() => {}), () => {
    throw new Error('kill EPERM');
  });
  assert.throws(() => handle.kill(), /kill EPERM/);
});

test("a root that can no longer be watched: 'error' for listeners, exited rejects, nothing unhandled", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const cancelled = new Error('waitid ECANCELED');
    const listened = new ScriptedHandle(Promise.reject(cancelled), () => true);
    const [error] = await once(listened, 'error');
    assert.equal(error, cancelled);
    await assert.rejects(listened.exited, cancelled);
    // Nobody listens nor awaits: no unhandled rejection.
    new ScriptedHandle(Promise.reject(new Error('ignored')), () => true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test("'exit' and 'close' with no stdio: close follows exit, exitCode set before 'exit'", async () => {
  let exit!: (status: ExitStatus) => void;
  const handle = new ScriptedHandle(new Promise((resolve) => (exit = resolve)), () => true);
  const seen: string[] = [];
  handle.on('exit', (code) => seen.push(`exit ${code} ${handle.exitCode}`));
  handle.on('close', (code) => seen.push(`close ${code}`));
  exit({ code: 3, signal: null });
  await once(handle, 'close');
  assert.deepEqual(seen, ['exit 3 3', 'close 3']);
});
