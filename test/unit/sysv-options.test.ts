// Validation of the SysV restore option and of the manifest's sysv section (no root needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { validateRestoreOptions } from '../../src/options.js';
import { sysvSection } from '../../src/sysv/manifest-section.js';

const attachment = {
  pid: 5,
  start: '7f0000000000',
  end: '7f0000010000',
  shmid: 3,
  key: 0x1234,
  access: 'rw',
  exec: false,
  size: 65536,
  uid: 0,
};

test('sysv.shm accepts ids, keys and same; rejects the rest with a clear message', () => {
  for (const ok of [{ shm: { '3': 'same' } }, { shm: { '3': 7 } }, { shm: { 'key:0x1234': { key: 0x99 } } }]) {
    assert.doesNotThrow(() => validateRestoreOptions({ sysv: ok }));
  }
  const cases: [unknown, RegExp][] = [
    [{ shm: { abc: 1 } }, /key 'abc' must be a shmid or 'key:0x/],
    [{ shm: { '3': 'live' } }, /'same', a segment id or \{ key \}/],
    [{ shm: { '3': { kye: 1 } } }, /Did you mean 'key'/],
    [{ shmm: {} }, /Did you mean 'shm'/],
    [{ shm: { '3': -1 } }, /between 0 and/],
  ];
  for (const [sysv, message] of cases) assert.throws(() => validateRestoreOptions({ sysv }), message);
});

test('the manifest sysv section is checked before it drives syscalls', () => {
  assert.equal(sysvSection({}, '/x'), undefined);
  assert.deepEqual(sysvSection({ sysv: { attachments: [attachment], stoppedBefore: [] } }, '/x')?.attachments, [
    attachment,
  ]);
  for (const bad of [
    { attachments: [{ ...attachment, start: 'zz' }], stoppedBefore: [] },
    { attachments: [{ ...attachment, end: '7e0000000000' }], stoppedBefore: [] },
    { attachments: [{ ...attachment, access: 'w' }], stoppedBefore: [] },
    { attachments: [attachment] },
    'nope',
  ]) {
    assert.throws(
      () => sysvSection({ sysv: bad }, '/x'),
      (e) => isCriuError(e, 'IMAGE_INTEGRITY'),
    );
  }
});
