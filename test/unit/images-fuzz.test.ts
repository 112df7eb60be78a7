// Hostile input for the image codec: thousands of mutations of small valid images (bit flips,
// truncations, corrupt length prefixes, inserted garbage, duplicated or swapped entries), deep
// nesting and absurd lengths. Every decode must either succeed, and then re-encode to the same
// bytes, or throw CriuError IMAGE_CORRUPT naming the file and an offset inside it: never another
// error, a hang, a stack overflow or a huge allocation.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { isCriuError } from '../../src/errors.js';
import {
  GhostChunkEntrySchema,
  GhostFileEntrySchema,
  PipeDataEntrySchema,
} from '../../src/gen/criu_images_files_pb.js';
import { DumpStatsSchema } from '../../src/gen/criu_images_pb.js';
import { type DecodeLimits, decodeImage, IMG_COMMON_MAGIC, MAGIC } from '../../src/images/codec.js';
import { attempt, framesOf, mutators, prng } from '../helpers/images-mutate.js';
import { sampleImages } from '../helpers/images-samples.js';

function corruptAt(name: string, bytes: Uint8Array, limits?: Partial<DecodeLimits>): number {
  try {
    decodeImage(name, bytes, { limits });
  } catch (error) {
    assert.ok(isCriuError(error, 'IMAGE_CORRUPT'), `threw ${String(error)}`);
    assert.equal(error.file, name);
    return error.offset as number;
  }
  assert.fail(`${name} decoded although it is corrupt`);
}

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** An image with the given header words and raw entry bodies (each framed by its u32 length). */
function rawImage(magics: number[], ...entries: (Uint8Array | number[])[]): Uint8Array {
  const size = magics.length * 4 + entries.reduce((sum, entry) => sum + 4 + entry.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const magic of magics) {
    view.setUint32(pos, magic, true);
    pos += 4;
  }
  for (const entry of entries) {
    view.setUint32(pos, entry.length, true);
    out.set(entry, pos + 4);
    pos += 4 + entry.length;
  }
  return out;
}

test('thousands of mutated images decode or fail with IMAGE_CORRUPT', (t) => {
  const random = prng(0x5eed);
  const counts = new Map<string, { decoded: number; corrupt: number }>();
  let cases = 0;
  let slowest = 0;
  const started = performance.now();
  for (const sample of sampleImages()) {
    assert.equal(attempt(sample.name, sample.bytes), 'decoded', `${sample.name} is a valid sample`);
    const frames = framesOf(sample.name, sample.bytes);
    for (const [mutation, mutate] of Object.entries(mutators)) {
      const count = counts.get(mutation) ?? { decoded: 0, corrupt: 0 };
      counts.set(mutation, count);
      for (let i = 0; i < 120; i++) {
        const mutant = mutate(sample.bytes, random, frames);
        const before = performance.now();
        count[attempt(sample.name, mutant)]++;
        slowest = Math.max(slowest, performance.now() - before);
        cases++;
      }
    }
  }
  const elapsed = performance.now() - started;
  const summary = [...counts].map(([name, c]) => `${name} ${c.decoded}/${c.corrupt}`).join(', ');
  t.diagnostic(
    `${cases} mutants in ${elapsed.toFixed(0)} ms, slowest ${slowest.toFixed(1)} ms (decoded/corrupt: ${summary})`,
  );
  assert.ok(cases >= 10_000);
  // Time is reported, not asserted (a loaded CI machine would make it flaky): hangs and runaway
  // allocations are what the limits prevent, and the test runner's own timeout catches a hang.
  assert.ok(elapsed < 8000, `the mutants took ${elapsed} ms`);
  const corrupt = [...counts.values()].reduce((sum, c) => sum + c.corrupt, 0);
  assert.ok(corrupt > cases / 2, 'most mutants are corrupt (the checks are not vacuous)');
});

test('100k nested length-delimited fields inside a declared sub-message: no recursion, no stack overflow', () => {
  // stats-dump's entry: field 1 (dump) is a DumpStats; inside it, beside its required fields, an
  // unknown field 100 holding field 100 holding ... 100k levels deep (about 500 KB).
  const levels = 100_000;
  const tag = varint((100 << 3) | 2);
  const sizes = [0];
  for (let i = 0; i < levels; i++) {
    const inner = sizes[i] as number;
    sizes.push(tag.length + varint(inner).length + inner);
  }
  const nested: number[] = [];
  for (let i = levels - 1; i >= 0; i--) nested.push(...tag, ...varint(sizes[i] as number));
  const required = toBinary(
    DumpStatsSchema,
    create(DumpStatsSchema, {
      freezingTime: 1,
      frozenTime: 2,
      memdumpTime: 3,
      memwriteTime: 4,
      pagesScanned: 5n,
      pagesSkippedParent: 6n,
      pagesWritten: 7n,
      pagesLazy: 0n,
    }),
  );
  const dump = [...required, ...nested];
  const entry = [...varint((1 << 3) | 2), ...varint(dump.length), ...dump];
  const bytes = rawImage([0x55105940, MAGIC.STATS], entry);
  assert.equal(attempt('stats-dump', bytes), 'decoded');

  // The same depth through a field declared as a number: the wrong wire type stops it at once.
  const inner = [...varint((1 << 3) | 2), ...varint(nested.length), ...nested];
  const wrong = [...varint((1 << 3) | 2), ...varint(inner.length), ...inner];
  const innerAt = 8 + 4 + 1 + varint(inner.length).length;
  assert.equal(corruptAt('stats-dump', rawImage([0x55105940, MAGIC.STATS], wrong)), innerAt);
});

test('100k nested groups are refused at the depth limit', () => {
  const levels = 100_000;
  const start = varint((200 << 3) | 3);
  const end = varint((200 << 3) | 4);
  const body: number[] = [];
  for (let i = 0; i < levels; i++) body.push(...start);
  for (let i = 0; i < levels; i++) body.push(...end);
  const offset = corruptAt('cgroup.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], body));
  assert.equal(offset, 12 + 31 * start.length, 'the 32nd level is refused');
  // Within the limit, groups are fine.
  const shallow = [...start, ...start, ...end, ...end];
  assert.equal(attempt('cgroup.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], shallow)), 'decoded');
});

test('absurd lengths are refused before anything is allocated for them', () => {
  const pstree = [IMG_COMMON_MAGIC, MAGIC.PSTREE];
  const header = new Uint8Array(new Uint32Array(pstree).buffer);
  // An entry length of 4 GiB - 1 in a 12-byte file.
  assert.equal(corruptAt('pstree.img', Uint8Array.from([...header, 0xff, 0xff, 0xff, 0xff])), 8);
  // A sub-message length of 4 GiB - 1 inside an entry.
  const files = [IMG_COMMON_MAGIC, MAGIC.FILES];
  const hugeReg = [...varint(8), 1, ...varint(16), 2, ...varint((3 << 3) | 2), 0xff, 0xff, 0xff, 0xff, 0x0f];
  assert.equal(corruptAt('files.img', rawImage(files, hugeReg)), 12 + 5);
  // A varint of 11 bytes.
  assert.equal(corruptAt('pstree.img', rawImage(pstree, [8, ...new Array(10).fill(0x80), 0])), 13);
  // Payloads longer than the file: pipe data of 4 GiB - 1, a ghost chunk of 2^64 - 1 bytes.
  const pipe = toBinary(PipeDataEntrySchema, create(PipeDataEntrySchema, { pipeId: 1, bytes: 0xffffffff }));
  const pipes = rawImage([IMG_COMMON_MAGIC, MAGIC.PIPES_DATA], pipe);
  assert.equal(corruptAt('pipes-data.img', pipes), pipes.byteLength);
  const ghost = toBinary(
    GhostFileEntrySchema,
    create(GhostFileEntrySchema, { uid: 0, gid: 0, mode: 0o100644, chunks: true }),
  );
  const chunk = toBinary(GhostChunkEntrySchema, create(GhostChunkEntrySchema, { len: 2n ** 64n - 1n, off: 0n }));
  const ghostImage = rawImage([IMG_COMMON_MAGIC, MAGIC.GHOST_FILE], ghost, chunk);
  assert.equal(corruptAt('ghost-file-1.img', ghostImage), ghostImage.byteLength);
  // A length within the file but over the limits.
  const big = rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], new Uint8Array(64));
  assert.equal(corruptAt('cgroup.img', big, { maxEntryBytes: 63 }), 8);
  assert.equal(corruptAt('cgroup.img', big, { maxTotalEntryBytes: 63 }), 8);
});

test('too many entries are refused at the limit, and the default limit is cheap to reach', (t) => {
  const many = (n: number) => {
    const bytes = new Uint8Array(8 + 4 * n);
    new DataView(bytes.buffer).setUint32(0, IMG_COMMON_MAGIC, true);
    new DataView(bytes.buffer).setUint32(4, MAGIC.CGROUP, true);
    return bytes;
  };
  assert.equal(corruptAt('cgroup.img', many(1001), { maxEntries: 1000 }), 8 + 4 * 1000);
  assert.equal(attempt('cgroup.img', many(1000), { maxEntries: 1000 }), 'decoded');
  const started = performance.now();
  assert.equal(corruptAt('cgroup.img', many((1 << 20) + 1)), 8 + 4 * (1 << 20));
  t.diagnostic(`1M + 1 empty entries refused in ${(performance.now() - started).toFixed(0)} ms`);
});

test('bad headers, wrong wire types and missing required fields are IMAGE_CORRUPT at their offset', () => {
  const header = [IMG_COMMON_MAGIC, MAGIC.PSTREE];
  assert.equal(corruptAt('pstree.img', new Uint8Array(0)), 0);
  assert.equal(corruptAt('pstree.img', Uint8Array.from([0x19, 0x43, 0x56])), 3);
  assert.equal(corruptAt('pstree.img', rawImage([0x12345678, MAGIC.PSTREE])), 0);
  assert.equal(corruptAt('pstree.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CORE])), 4);
  assert.equal(corruptAt('inventory.img', rawImage([IMG_COMMON_MAGIC, MAGIC.INVENTORY])), 0);
  assert.equal(corruptAt('stats-dump', rawImage([IMG_COMMON_MAGIC, MAGIC.STATS])), 0, 'stats has the service magic');
  // pid (a varint) sent length-delimited.
  assert.equal(corruptAt('pstree.img', rawImage(header, [...varint((1 << 3) | 2), 1, 0])), 12);
  // Only pid: ppid, pgid and sid are required.
  assert.equal(corruptAt('pstree.img', rawImage(header, [8, 1])), 12);
  // Wire types 6 and 7 do not exist; field number 0 neither; an end-group with no start.
  assert.equal(corruptAt('cgroup.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], [(1 << 3) | 6])), 12);
  assert.equal(corruptAt('cgroup.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], [0, 0])), 12);
  assert.equal(corruptAt('cgroup.img', rawImage([IMG_COMMON_MAGIC, MAGIC.CGROUP], [(1 << 3) | 4])), 12);
  // A truncated length prefix.
  assert.equal(corruptAt('pstree.img', Uint8Array.from([...rawImage(header), 1, 0])), 8);
});
