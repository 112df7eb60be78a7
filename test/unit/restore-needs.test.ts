// Checkpoint.needs: what restore() with default options refuses without a substitute, and what it
// defaults, computed by the restore's own rules; and how the CLI's dump prints it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needLines } from '../../src/cli/needs-output.js';
import type { FdEntry } from '../../src/fds/fd-entry.js';
import type { MappingEntry } from '../../src/fds/proc-maps.js';
import { restoreNeeds } from '../../src/restore-needs.js';

function row(pid: number, fd: number, type: FdEntry['type'], key: string, leftOutBy?: 'advice' | 'outside'): FdEntry {
  return {
    pid,
    fd,
    type,
    target: key,
    path: undefined,
    inode: 1,
    mountId: 0,
    access: 'w',
    flags: 1,
    append: false,
    nonblock: false,
    cloexec: false,
    position: 0,
    uid: 0,
    gid: 0,
    mode: 0o100600,
    size: 0,
    peer: undefined,
    key,
    externalKey: undefined,
    leftOut: leftOutBy !== undefined,
    leftOutBy,
  };
}

function mapping(pid: number, path: string, leftOut: boolean): MappingEntry {
  const key = `file[1:${path.length}]`;
  return {
    pid,
    range: '1000-2000',
    path,
    inode: 2,
    mountId: 1,
    access: 'rw',
    size: 4096,
    mode: 0o100640,
    key,
    leftOut,
  };
}

test('needs: advised fds required, outside ones defaulted as restore defaults them, mappings and contents required', () => {
  const fds = [
    row(100, 0, 'file', '/dev/null'), // dumped: no need
    row(100, 1, 'pipe', 'pipe:[1]', 'outside'),
    row(100, 3, 'file', 'tmp/log', 'advice'),
    row(101, 1, 'pipe', 'pipe:[1]', 'outside'), // shares the root's: what the root's becomes
    row(101, 4, 'unix', 'socket:[9]', 'outside'),
    row(101, 5, 'pipe', 'pipe:[2]', 'outside'),
  ];
  const needs = restoreNeeds(
    100,
    fds,
    [mapping(100, '/dev/shm/a', true), mapping(101, '/dev/shm/a', true), mapping(100, '/b', false)],
    [{ id: 32768, key: 0x1234, size: 4096 }],
  );
  const brief = needs.map((n) =>
    n.kind === 'fd'
      ? [n.kind, n.pid, n.fd, n.why, n.substitute, n.default, n.option]
      : [n.kind, n.substitute, n.option],
  );
  assert.deepEqual(brief, [
    ['fd', 100, 1, 'outside', 'optional', 'pipe', 'fds[1]'],
    ['fd', 100, 3, 'leaveOut', 'required', undefined, 'fds[3]'],
    ['fd', 101, 1, 'outside', 'optional', 'pipe', 'fds[101][1]'],
    ['fd', 101, 4, 'outside', 'optional', 'null', 'fds[101][4]'],
    ['fd', 101, 5, 'outside', 'optional', 'criu', 'fds[101][5]'],
    ['mapping', 'required', 'mappings["/dev/shm/a"]'],
    ['shm-contents', 'required', "sysv.shm['32768']"],
  ]);
  const shared = needs.find((n) => n.kind === 'mapping');
  assert.deepEqual(shared?.kind === 'mapping' && [shared.pids, shared.size, shared.mode], [[100, 101], 4096, 0o100640]);
});

test('an advised fd sharing a resource with a defaulted one is served by its default, as at restore', () => {
  const needs = restoreNeeds(
    100,
    [row(100, 1, 'unix', 'socket:[3]', 'outside'), row(100, 2, 'unix', 'socket:[3]', 'advice')],
    [],
  );
  assert.deepEqual(
    needs.map((n) => n.kind === 'fd' && [n.fd, n.why, n.substitute, n.default]),
    [
      [1, 'outside', 'optional', 'pipe'],
      [2, 'leaveOut', 'optional', 'pipe'],
    ],
  );
});

test('a checkpoint that left nothing out needs nothing', () => {
  assert.deepEqual(restoreNeeds(100, [row(100, 0, 'file', '/dev/null')], [mapping(100, '/b', false)]), []);
});

test("dump's lines: each need with the restore flag that provides it", () => {
  const needs = restoreNeeds(
    100,
    [row(100, 3, 'file', 'tmp/log', 'advice'), row(101, 1, 'pipe', 'pipe:[1]', 'outside')],
    [mapping(100, '/dev/shm/a', true)],
    [{ id: 7, key: 1, size: 64 }],
  );
  assert.deepEqual(needLines(needs), [
    'fd 3 of pid 100 (file tmp/log), left out by --leave-out: required, --fd 3=pipe|inherit|null|FD|PATH',
    'fd 1 of pid 101 (pipe pipe:[1]), its other end outside the tree: optional (default recreated by CRIU with its other end closed), --fd 101:1=pipe|inherit|null|FD|PATH',
    `mapping /dev/shm/a of pid 100 (4096 bytes, mode 640), left out by leaveOutMappings: required, a file of that size (restore()'s mappings["/dev/shm/a"])`,
    'contents of SysV segment 7 (64 bytes), left out by --sysv-leave-out-contents: required, --shm 7=file:PATH|snapshot',
  ]);
});
