// The read buffers the digests reuse (integrity/read-buffers.ts): once the addon is loaded, memory
// that a fork of this process leaves writable; before (the simulator never loads it), ordinary
// buffers, which are not kept once it is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { giveBack, takeBuffer } from '../../src/integrity/read-buffers.js';
import { loadNative, nativeIfLoaded } from '../../src/native.js';
import { faultsOf, forkOnce } from '../helpers/page-faults.js';

test('a kept read buffer is written after a fork without faulting once the addon is loaded', async () => {
  assert.equal(nativeIfLoaded(), undefined, 'this file runs in a process of its own');
  const before = takeBuffer();
  giveBack(before);
  assert.equal(takeBuffer(), before, 'kept while the addon is not loaded');
  loadNative();
  giveBack(before);
  const after = takeBuffer();
  assert.notEqual(after, before, 'an ordinary buffer is not kept once the addon is loaded');
  after.fill(1);
  before.fill(1);
  giveBack(after);
  assert.equal(takeBuffer(), after, 'the addon’s buffer is kept');
  await forkOnce();
  // 64 pages each; other threads of this process may fault meanwhile.
  const ordinaryFaults = faultsOf(() => before.fill(2));
  const keptFaults = faultsOf(() => after.fill(2));
  assert.ok(ordinaryFaults >= 48, `ordinary memory faults again after a fork (${ordinaryFaults} faults)`);
  assert.ok(keptFaults < 16, `the kept buffer does not (${keptFaults} faults)`);
});
