// IPC-namespace mode with a real victim: spawn(..., { namespaces: ['ipc'] }) gives the child its
// own IPC namespace, and CRIU saves and restores its segment (contents included) itself.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { after, test } from 'node:test';
import { checkpoint, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { waitForState } from '../helpers/sysv-objects.js';
import { fixture, killAll, scratchDir } from '../helpers/victims.js';

const started: number[] = [];
after(() => killAll(started));

test("spawn with namespaces: ['ipc'] runs the child in its own IPC namespace; CRIU restores its segment", {
  skip: skipUnlessCriu,
}, async () => {
  const state = `${scratchDir()}/ipcns`;
  const child = spawn(fixture('sysv-ipcns'), [state], { stdio: 'ignore', namespaces: ['ipc'] });
  child.unref();
  assert.ok(child.pid);
  started.push(child.pid);
  const [, , shmid] = await waitForState(state, ([r = 0]) => r >= 2, 'two rounds');
  assert.notEqual(readlinkSync(`/proc/${child.pid}/ns/ipc`), readlinkSync('/proc/self/ns/ipc'));
  const cp = await checkpoint(child.pid, { digest: false });
  assert.equal(cp.sysv, undefined, 'no host attachments: the namespace is CRIU’s to save');
  const [, saved = 0] = await waitForState(state, (n) => n.length === 3, 'the last state');
  const restored = await restore(cp.imagesDir);
  started.push(restored.pid);
  const [, value, id] = await waitForState(state, ([, v = 0]) => v >= saved + 2, `the count going on from ${saved}`);
  assert.equal(id, shmid, 'the same segment id in the restored namespace');
  assert.ok((value ?? 0) >= saved + 2);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('spawn refuses namespaces it does not know', () => {
  assert.throws(() => spawn('true', [], { namespaces: ['net' as 'ipc'] }), /namespaces may hold 'ipc' only/);
});
