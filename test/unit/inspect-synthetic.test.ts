// inspect() and fdTableFromImages() on a checkpoint built with the codec (no root, no CRIU): the
// cases real victims rarely give, each with the value the images determine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatShow } from '../../src/cli/show-output.js';
import type { FdEntry } from '../../src/fds/fd-entry.js';
import { readFdTable } from '../../src/fds/fd-table.js';
import { fdTableFromImages } from '../../src/fds/images-fd-table.js';
import { inspect } from '../../src/inspect/inspect.js';
import { writeSyntheticCheckpoint } from '../helpers/inspect-synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'node-criu-inspect-unit-'));
writeSyntheticCheckpoint(dir);
after(() => rmSync(dir, { recursive: true, force: true }));

type Row = Partial<FdEntry> & { fd: number };

test('fdTableFromImages: what each kind of file object becomes', async () => {
  const table = await fdTableFromImages(dir);
  assert.deepEqual(
    [...new Set(table.map((e) => e.pid))],
    [100, 102],
    'the zombie has no fd table; 102 shares 100s (same files_id)',
  );
  const rows = table.filter((e) => e.pid === 100);
  const expected: Row[] = [
    {
      fd: 0,
      type: 'tty',
      target: 'tty[8800:1a]',
      access: 'rw',
      leftOut: true,
      key: 'tty[8800:1a]',
      externalKey: 'tty[8800:1a]',
      peer: undefined,
    },
    {
      fd: 1,
      type: 'file',
      path: undefined,
      inode: 0x20e263,
      mountId: 0x1b,
      access: 'w',
      size: 21,
      leftOut: true,
      key: 'file[1b:20e263]',
      externalKey: 'file[1b:20e263]',
    },
    { fd: 3, type: 'fifo', inode: 5, mountId: 0x1b, access: 'r', leftOut: true, key: 'file[1b:5]' },
    {
      fd: 4,
      type: 'pipe',
      target: 'pipe:[77]',
      access: 'r',
      peer: { inode: 77, inTree: false },
      leftOut: true,
      key: 'pipe:[77]',
    },
    {
      fd: 5,
      type: 'unix',
      peer: { inode: 501, inTree: false },
      leftOut: true,
      key: 'socket:[500]',
      externalKey: 'unix[500]',
    },
    {
      fd: 6,
      type: 'unix',
      peer: { inode: undefined, inTree: false },
      leftOut: false,
      key: 'socket:[600]',
      mode: 0o140777,
    },
    {
      fd: 7,
      type: 'file',
      target: '/tmp/gone (deleted)',
      path: '/tmp/gone',
      key: 'tmp/gone',
      size: 10,
      mode: 0o100600,
      uid: -1,
    },
    { fd: 8, type: 'other', target: 'ipc:[?]', key: 'ipc:[?]' },
    { fd: 9, type: 'other', target: 'criu-file:[12]' },
    { fd: 10, type: 'other', target: 'criu-file:[42]' },
    { fd: 11, type: 'pidfd', target: 'anon_inode:[pidfd]', inode: 1234, cloexec: true, flags: 0o2000002, access: 'rw' },
  ];
  assert.deepEqual(
    rows.map((e) => e.fd),
    expected.map((e) => e.fd),
  );
  for (const want of expected) {
    const row = rows.find((e) => e.fd === want.fd) as FdEntry;
    const got = Object.fromEntries(Object.keys(want).map((k) => [k, row[k as keyof FdEntry]]));
    assert.deepEqual(got, want, `fd ${want.fd}`);
  }
  assert.deepEqual(await readFdTable(dir), table, 'without a manifest readFdTable reads the images');
});

test('inspect: tasks, states, threads and namespaces', async () => {
  const view = await inspect(dir);
  assert.equal(view.root, 100);
  assert.equal(view.manifest, null);
  assert.deepEqual(
    view.tasks.map((t) => [t.pid, t.command, t.state, t.tids, t.children, t.fdCount]),
    [
      [100, 'root', 'running', [100, 101], [102, 103], 11],
      [102, 'child', 'stopped', [102], [], 11],
      [103, 'gone', 'zombie', [103], [], 0],
    ],
  );
  assert.deepEqual(view.tasks[2]?.exit, { status: 9, code: null, signal: 9 });
  assert.equal(view.tasks[2]?.namespaces, null);
  assert.equal(view.tasks[1]?.memory, null, 'no mm image');
  const ipc = view.namespaces.list.filter((n) => n.own);
  assert.deepEqual(ipc, [
    {
      kind: 'ipc',
      id: 9,
      own: true,
      pids: [100, 102],
      images: ['ipcns-msg-9.img', 'ipcns-sem-9.img', 'ipcns-shm-9.img', 'ipcns-var-9.img'],
    },
  ]);
  assert.equal(view.namespaces.criu?.ipc, 3);
});

test('inspect: memory areas, their pages and the totals', async () => {
  const memory = (await inspect(dir)).tasks[0]?.memory;
  assert.ok(memory);
  assert.equal(memory.exe, '/usr/bin/root');
  assert.equal(memory.pagesImage, 'pages-1.img');
  assert.deepEqual(
    memory.vmas.map((v) => [v.start, v.kind, v.prot, v.path, v.shmid, v.presentPages, v.sharedPages]),
    [
      ['0x400000', 'file-private', 'r-xp', '/usr/bin/root', null, 0, null],
      ['0x600000', 'file-private', 'rw-p', '/tmp/data', null, 1, null],
      ['0x7f0000000000', 'sysv', 'rw-s', null, 0, 0, 2],
      ['0x7f0000100000', 'anon-private', 'rw-p', null, null, 4, null],
      ['0x7ffe00000000', 'stack', 'rw-p', null, null, 3, null],
    ],
  );
  assert.deepEqual(memory.totals, {
    vmaCount: 5,
    mappedBytes: 0x1000 + 0x4000 + 0x12000 + 0x10000 + 0x21000,
    presentPages: 10,
    presentBytes: 10 * 4096,
  });
});

test('inspect: SysV objects, statistics and JSON safety', async () => {
  const view = await inspect(dir);
  const sysv = view.sysv[0];
  assert.equal(view.sysv.length, 1);
  assert.ok(sysv);
  assert.equal(sysv.nsId, 9);
  assert.deepEqual(
    sysv.shm.map((s) => [s.id, s.size, s.presentPages, s.attachedBy]),
    [[0, 70000, 2, [100]]],
  );
  assert.deepEqual(sysv.sem[0]?.values, [7, 8, 9]);
  assert.deepEqual(sysv.msg[0]?.messages, [
    { type: 1, size: 5 },
    { type: '1152921504606846976', size: 8 },
  ]);
  assert.equal(sysv.msg[0]?.messageBytes, 13);
  assert.equal(sysv.limits?.shmCtlmax, '18446744073692774399');
  assert.equal(view.stats.dump?.frozenTimeUs, 2000);
  assert.equal(view.stats.dump?.pagePipes, null, 'an optional field the image does not set');
  assert.equal(view.stats.restore, null);
  assert.deepEqual(JSON.parse(JSON.stringify(view)), JSON.parse(JSON.stringify(view)), 'plain JSON');
  const text = formatShow(view);
  assert.match(text, /^ {2}├─ 102 child \[stopped\]/m);
  assert.match(text, /^ {2}└─ 103 gone \[zombie, killed by signal 9\]/m);
  assert.match(text, /^ {2}0x7f0000000000\s+0x7f0000012000\s+72 KiB\s+rw-s\s+sysv\s+0 B\s+8 KiB\s+SysV shm 0$/m);
  assert.match(text, /^ {2}sem\s+id 1\s+key 0x00005678\s+mode 0640\s+3 semaphores\s+values 7 8 9$/m);
  assert.match(text, /^ {2}ipc 9: the tree's own, tasks 100 102/m);
});
