// Validation of the SysV restore option and of the manifest's sysv section (no root needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { validateCheckpointOptions, validateRestoreOptions } from '../../src/options.js';
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

test('sysv.shm accepts ids, keys, same and { data }; rejects the rest with a clear message', () => {
  for (const ok of [
    { shm: { '3': 'same' } },
    { shm: { '3': 7 } },
    { shm: { 'key:0x1234': { key: 0x99 } } },
    { shm: { '3': { data: Buffer.alloc(8) } } },
    { shm: { '3': { data: new Uint8Array(0) } } },
  ]) {
    assert.doesNotThrow(() => validateRestoreOptions({ sysv: ok }));
  }
  const cases: [unknown, RegExp][] = [
    [{ shm: { abc: 1 } }, /key 'abc' must be a shmid or 'key:0x/],
    [{ shm: { '3': 'live' } }, /'same', a segment id, \{ key \}, 'snapshot', \{ snapshot \} or \{ data \}/],
    [{ shm: { '3': { data: 'bytes' } } }, /'sysv.shm\['3'\].data' must be a Buffer or Uint8Array/],
    [{ shm: { '3': { data: Buffer.alloc(1), key: 3 } } }, /key/],
    [{ shm: { '3': { kye: 1 } } }, /Did you mean 'key'/],
    [{ shmm: {} }, /Did you mean 'shm'/],
    [{ shm: { '3': -1 } }, /between 0 and/],
  ];
  for (const [sysv, message] of cases) assert.throws(() => validateRestoreOptions({ sysv }), message);
});

test('sysv.sem / sysv.msg take live or a snapshot; checkpoint sysv.snapshot takes id lists', () => {
  for (const ok of [
    { shm: { '3': 'snapshot' }, sem: { '4': 'live' }, msg: { '0': { snapshot: '/snap' } } },
    { sem: { '4': 'snapshot' } },
  ]) {
    assert.doesNotThrow(() => validateRestoreOptions({ sysv: ok }));
  }
  const cases: [unknown, RegExp][] = [
    [{ sem: { '4': 'same' } }, /'live', 'snapshot' or \{ snapshot: dir \}/],
    [{ msg: { x: 'live' } }, /key 'x' must be an id/],
    [{ sem: { '4': { snapshot: '' } } }, /non-empty string/],
    [{ msg: { '1': { snapshto: '/s' } } }, /'live', 'snapshot'/],
  ];
  for (const [sysv, message] of cases) assert.throws(() => validateRestoreOptions({ sysv }), message);
  assert.doesNotThrow(() => validateCheckpointOptions({ sysv: { snapshot: { shm: [1], sem: [], msg: [0] } } }));
  assert.throws(
    () => validateCheckpointOptions({ sysv: { snapshot: { shm: ['1'] } } }),
    /'sysv.snapshot.shm\[0\]' must be an integer/,
  );
  assert.throws(() => validateCheckpointOptions({ sysv: { snapshot: { sehm: [] } } }), /Did you mean 'shm'/);
  for (const leaveOutContents of [[0, 32768], 'all']) {
    assert.doesNotThrow(() => validateCheckpointOptions({ sysv: { leaveOutContents } }));
  }
  assert.throws(
    () => validateCheckpointOptions({ sysv: { leaveOutContents: 'some' } }),
    /'sysv.leaveOutContents' must be an array of ids/,
  );
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
    { attachments: [], stoppedBefore: [], contentsLeftOut: [{ id: 1, key: -1, size: 4096 }] },
    'nope',
  ]) {
    assert.throws(
      () => sysvSection({ sysv: bad }, '/x'),
      (e) => isCriuError(e, 'IMAGE_INTEGRITY'),
    );
  }
});
