// The pieces of inspect() that need no checkpoint: VMA classification from CRIU's status bits,
// page counting over pagemap runs, JSON-safe integers and task states.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { PagemapEntrySchema } from '../../src/gen/criu_images_memory_pb.js';
import { hexAddress, jsonInteger } from '../../src/inspect/json-safe.js';
import { PE_LAZY, PE_PARENT, PE_PRESENT, pagesIn, presentRuns } from '../../src/inspect/memory.js';
import { exitOf, namespaceIds, taskState } from '../../src/inspect/tasks.js';
import { protString, VMA, vmaKind } from '../../src/inspect/vma-kind.js';

const MAP_SHARED = 0x1;
const MAP_PRIVATE = 0x2;
const MAP_ANONYMOUS = 0x20;
const MAP_GROWSDOWN = 0x100;

test('vmaKind: the status words CRIU 4.2 writes, as seen in real images', () => {
  const cases: [number, number, string | undefined, string][] = [
    [0x41, MAP_PRIVATE, undefined, 'file-private'],
    [0x81, MAP_SHARED, undefined, 'file-shared'],
    [0x201, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'anon-private'],
    [0x101, MAP_SHARED | MAP_ANONYMOUS, undefined, 'anon-shared'],
    [0x221, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'heap'],
    [0x201, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, undefined, 'stack'],
    [0x203, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'stack'],
    [0x1201, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'vvar'],
    [0x209, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'vdso'],
    [0x204, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'vsyscall'],
    [0x501, MAP_SHARED | MAP_ANONYMOUS, undefined, 'sysv'],
    [0x4081, MAP_SHARED, 'inspect-memfd', 'memfd'],
    [0x4081, MAP_SHARED, '/dev/zero', 'anon-shared'],
    [0x2201, MAP_PRIVATE | MAP_ANONYMOUS, undefined, 'other'],
    [0, 0, undefined, 'other'],
  ];
  for (const [status, flags, memfdName, kind] of cases) {
    assert.equal(vmaKind({ status, flags, memfdName }), kind, `status 0x${status.toString(16)}`);
  }
  assert.equal(vmaKind({ status: 0x201, flags: MAP_PRIVATE, holdsStackStart: true }), 'stack');
  assert.equal(VMA.AREA_MEMFD, 0x4000);
});

test('protString prints protection as /proc/PID/maps does', () => {
  assert.equal(protString(5, MAP_PRIVATE), 'r-xp');
  assert.equal(protString(3, MAP_SHARED), 'rw-s');
  assert.equal(protString(0, MAP_PRIVATE | MAP_ANONYMOUS), '---p');
  assert.equal(protString(4, MAP_PRIVATE), '--xp');
});

function entry(vaddr: number, nrPages: number, flags: number, inParent = false) {
  return create(PagemapEntrySchema, { vaddr: BigInt(vaddr), nrPages: BigInt(nrPages), flags, inParent });
}

test('presentRuns keeps PE_PRESENT entries (lazy ones too) and reads the pre-flags format', () => {
  const runs = presentRuns([
    entry(0x5000, 2, PE_PRESENT),
    entry(0x1000, 1, PE_PRESENT | PE_LAZY),
    entry(0x9000, 4, PE_PARENT),
    // Images older than `flags`: present unless in_parent, and compat_nr_pages.
    create(PagemapEntrySchema, { vaddr: 0x20000n, compatNrPages: 3 }),
    create(PagemapEntrySchema, { vaddr: 0x30000n, compatNrPages: 3, inParent: true }),
  ]);
  assert.deepEqual(
    runs.map((r) => [Number(r.start), Number(r.end)]),
    [
      [0x1000, 0x2000],
      [0x5000, 0x7000],
      [0x20000, 0x23000],
    ],
  );
});

test('pagesIn counts the pages of runs inside a range, also runs across range ends', () => {
  const runs = presentRuns([entry(0x1000, 4, PE_PRESENT), entry(0x8000, 2, PE_PRESENT), entry(0x10000, 1, PE_PRESENT)]);
  assert.equal(pagesIn(runs, 0n, 0x100000n), 7);
  assert.equal(pagesIn(runs, 0x2000n, 0x4000n), 2, 'the middle of a run');
  assert.equal(pagesIn(runs, 0x4000n, 0x9000n), 2, 'the end of one run, the start of the next');
  assert.equal(pagesIn(runs, 0x5000n, 0x8000n), 0, 'a gap');
  assert.equal(pagesIn(runs, 0x10000n, 0x11000n), 1);
  assert.equal(pagesIn([], 0n, 0x1000n), 0);
  // Addresses above 2^63, as the vsyscall page has.
  const high = presentRuns([
    entry(0, 0, 0),
    create(PagemapEntrySchema, { vaddr: 0xffffffffff600000n, nrPages: 1n, flags: PE_PRESENT }),
  ]);
  assert.equal(pagesIn(high, 0xffffffffff600000n, 0xffffffffff601000n), 1);
});

test('jsonInteger: numbers while exact, decimal strings beyond 2^53', () => {
  assert.equal(jsonInteger(0n), 0);
  assert.equal(jsonInteger(2n ** 53n - 1n), Number.MAX_SAFE_INTEGER);
  assert.equal(jsonInteger(2n ** 53n), '9007199254740992');
  assert.equal(jsonInteger(18446744073692774399n), '18446744073692774399');
  assert.equal(jsonInteger(42), 42);
  assert.equal(hexAddress(0x7f2057f87000n), '0x7f2057f87000');
});

test('task states and zombie exit statuses', () => {
  assert.equal(taskState(1), 'running');
  assert.equal(taskState(2), 'zombie', 'CRIU writes TASK_DEAD for a zombie');
  assert.equal(taskState(3), 'stopped');
  assert.equal(taskState(6), 'zombie');
  assert.equal(taskState(99), 'unknown');
  assert.equal(taskState(null), 'unknown');
  assert.deepEqual(exitOf(7 << 8), { status: 0x700, code: 7, signal: null });
  assert.deepEqual(exitOf(9), { status: 9, code: null, signal: 9 });
  assert.deepEqual(exitOf(0x86), { status: 0x86, code: null, signal: 6 }, 'killed with a core dump');
  assert.equal(namespaceIds(undefined), null);
});
