// The image codec's contract on small images built in the test: which file is which image,
// the header each kind has, what stays byte for byte (even encodings bufbuild would not write
// back the same), how edits are written, and what the encoder refuses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { isCriuError } from '../../src/errors.js';
import { FdType, FileEntrySchema, PipeDataEntrySchema } from '../../src/gen/criu_images_files_pb.js';
import { IpcMsgEntrySchema } from '../../src/gen/criu_images_ipc_pb.js';
import { PagemapEntrySchema } from '../../src/gen/criu_images_memory_pb.js';
import { PstreeEntrySchema } from '../../src/gen/criu_images_pb.js';
import {
  type DecodedImage,
  decodeImage,
  encodeImage,
  headerMagics,
  IMAGE_TYPES,
  IMG_COMMON_MAGIC,
  IMG_SERVICE_MAGIC,
  ImageEntry,
  imageType,
  MAGIC,
  readImage,
  resolveImageName,
  writeImage,
} from '../../src/images/codec.js';
import { readEntries, splitImage } from '../../src/images/image-file.js';
import { readProcessTree } from '../../src/images/pstree.js';
import { readDumpStats } from '../../src/images/stats.js';
import { buildImage, sampleImages } from '../helpers/images-samples.js';

const scratch = mkdtempSync(join(tmpdir(), 'node-criu-images-codec-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function sample(name: string): Uint8Array {
  const found = sampleImages().find((image) => image.name === name);
  assert.ok(found, name);
  return found.bytes;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function framed(magics: number[], ...entries: number[][]): Uint8Array {
  const words = magics.flatMap((m) => [m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, m >>> 24]);
  const body = entries.flatMap((entry) => [entry.length, 0, 0, 0, ...entry]);
  return Uint8Array.from([...words, ...body]);
}

test('file names resolve to CRIU image kinds; other files are unknown', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['core-1234.img', 'core', '1234'],
    ['pagemap-shmem-5.img', 'pagemap-shmem', '5'],
    ['pagemap-77.img', 'pagemap', '77'],
    ['fdinfo-3.img', 'fdinfo', '3'],
    ['ids-1234.img', 'ids', '1234'],
    ['mm-1234.img', 'mm', '1234'],
    ['pages-1.img', 'pages', '1'],
    ['ghost-file-1f.img', 'ghost-file', '1f'],
    ['tcp-stream-2a.img', 'tcp-stream', '2a'],
    ['ipcns-sem-9.img', 'ipcns-sem', '9'],
    ['netns-3.img', 'netns', '3'],
    ['netns-ct-3.img', 'netns-ct', '3'],
    ['tmpfs-dev-4.tar.gz.img', 'tmpfs-dev', '4'],
    ['binfmt-misc-2.img', 'binfmt-misc-old', '2'],
    ['binfmt-misc.img', 'binfmt-misc', undefined],
    ['stats-dump', 'stats', 'dump'],
    ['irmap-cache', 'irmap-cache', undefined],
    ['/some/dir/inventory.img', 'inventory', undefined],
    ['dump.log', undefined, undefined],
    ['core-abc.img', undefined, undefined],
    ['core-12.img.bak', undefined, undefined],
    ['amdgpu-pages-1.img', undefined, undefined],
  ];
  for (const [name, type, id] of cases) {
    const resolved = resolveImageName(name);
    assert.equal(resolved?.type.name, type, name);
    assert.equal(resolved?.id, id, name);
  }
  assert.equal(new Set(IMAGE_TYPES.map((type) => type.name)).size, IMAGE_TYPES.length, 'names are unique');
});

test('each kind has its header and magic (criu/include/magic.h)', () => {
  assert.deepEqual(headerMagics(imageType('core')?.header ?? 'none', MAGIC.CORE), [IMG_COMMON_MAGIC, 0x55053847]);
  assert.deepEqual(imageType('inventory'), {
    name: 'inventory',
    fileName: 'inventory.img',
    header: 'inventory',
    magic: 0x58313116,
  });
  assert.equal(imageType('stats')?.header, 'service');
  assert.equal(imageType('irmap-cache')?.magic, 0x57004059);
  assert.equal(IMG_SERVICE_MAGIC, 0x55105940);
  for (const raw of ['pages', 'ifaddr', 'route', 'route6', 'rule', 'iptables', 'ip6tables', 'nftables', 'tmpfs']) {
    assert.equal(imageType(raw)?.header, 'none', raw);
  }
  assert.equal(imageType('pagemap-shmem')?.magic, imageType('pagemap')?.magic);
  assert.equal(imageType('ipcns-msg')?.magic, 0x55453737);
});

test('raw images and unknown files are kept whole', () => {
  const bytes = Uint8Array.from({ length: 8192 }, (_, i) => i % 251);
  for (const name of ['pages-3.img', 'dump.log', 'plugin-thing.img']) {
    const image = decodeImage(name, bytes);
    assert.equal(image.entries.length, 0);
    assert.deepEqual(image.magics, []);
    assert.ok(image.trailing && same(image.trailing, bytes));
    assert.ok(same(encodeImage(image), bytes));
  }
  assert.equal(decodeImage('pages-3.img', bytes).type, 'pages');
  assert.equal(decodeImage('dump.log', bytes).type, undefined);
});

test('every sample decodes, with payloads split off, and encodes back byte for byte', () => {
  for (const { name, bytes } of sampleImages()) {
    const image = decodeImage(name, bytes);
    assert.ok(image.entries.length > 0, name);
    assert.ok(same(encodeImage(image), bytes), name);
  }
  const pipes = decodeImage('pipes-data.img', sample('pipes-data.img'));
  assert.deepEqual(
    pipes.entries.map((entry) => Buffer.from(entry.payload ?? []).toString()),
    ['hello pipes', ''],
  );
  const ghost = decodeImage('ghost-file-a.img', sample('ghost-file-a.img'));
  assert.equal(Buffer.from(ghost.entries[0]?.payload ?? []).toString(), 'small ghost contents');
});

test('an encoding bufbuild would not write back is kept until the message changes', () => {
  // threads (field 5) packed, although CRIU declares it unpacked: both runtimes read it.
  const packed = [8, 100, 16, 0, 24, 100, 32, 100, 0x2a, 2, 100, 101];
  const bytes = framed([IMG_COMMON_MAGIC, MAGIC.PSTREE], packed);
  const image = decodeImage('pstree.img', bytes);
  const entry = image.entries[0] as ImageEntry;
  assert.deepEqual(entry.as(PstreeEntrySchema).threads, [100, 101]);
  assert.ok(same(encodeImage(image), bytes), 'read but unchanged: the original bytes');
  assert.ok(!same(toBinary(PstreeEntrySchema, entry.as(PstreeEntrySchema)), Uint8Array.from(packed)));
  entry.as(PstreeEntrySchema).ppid = 1;
  const edited = decodeImage('pstree.img', encodeImage(image));
  assert.equal(edited.entries[0]?.as(PstreeEntrySchema).ppid, 1);
  assert.deepEqual(edited.entries[0]?.as(PstreeEntrySchema).threads, [100, 101]);
});

test('a string that is not UTF-8 survives the codec, though not toBinary(fromBinary)', () => {
  // A file whose name is not valid UTF-8: CRIU stores the kernel's bytes in a proto `string`.
  const reg = toBinary(
    FileEntrySchema,
    create(FileEntrySchema, {
      type: FdType.REG,
      id: 1,
      reg: { id: 1, flags: 0, pos: 0n, fown: { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 }, name: 'AB' },
    }),
  );
  const at = Buffer.from(reg).indexOf('AB');
  reg[at] = 0xff;
  reg[at + 1] = 0xfe;
  const bytes = framed([IMG_COMMON_MAGIC, MAGIC.FILES], [...reg]);
  const image = decodeImage('files.img', bytes);
  const entry = image.entries[0] as ImageEntry;
  assert.equal(entry.as(FileEntrySchema).reg?.name, '\ufffd\ufffd');
  assert.ok(!same(toBinary(FileEntrySchema, fromBinary(FileEntrySchema, reg)), reg), 'bufbuild replaces the bytes');
  assert.ok(same(encodeImage(image), bytes), 'the codec keeps them');
  // Editing the message would write U+FFFD instead of the name: refused, not done silently.
  const file = entry.as(FileEntrySchema).reg;
  if (file) file.pos = 7n;
  assert.throws(
    () => encodeImage(image),
    /without losing data \(field 6 \(name\) of nodecriu.images.RegFileEntry is not UTF-8/,
  );
  entry.bytes = reg;
  assert.ok(same(encodeImage(image), bytes), 'its bytes can still be set');
});

test('a 32-bit field holding a wider varint: kept as read, never re-encoded from the truncated value', () => {
  // pid = 2^33 + 5 (the runtimes keep 5); pgid = 5 written over-long (6 bytes), which is harmless.
  const wide = [8, 0x85, 0x80, 0x80, 0x80, 0x20, 16, 0, 24, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00, 32, 5];
  const bytes = framed([IMG_COMMON_MAGIC, MAGIC.PSTREE], wide);
  const image = decodeImage('pstree.img', bytes);
  const task = image.entries[0]?.as(PstreeEntrySchema);
  assert.deepEqual([task?.pid, task?.pgid], [5, 5]);
  assert.ok(same(encodeImage(image), bytes));
  if (task) task.sid = 6;
  assert.throws(
    () => encodeImage(image),
    /field 1 \(pid\) of nodecriu.images.PstreeEntry holds a value wider than 32 bits/,
  );
  // Only the over-long pgid: re-encoding it canonically loses nothing, so the edit is written.
  const overLong = framed([IMG_COMMON_MAGIC, MAGIC.PSTREE], [8, 5, ...wide.slice(6)]);
  const fine = decodeImage('pstree.img', overLong);
  const edited = fine.entries[0]?.as(PstreeEntrySchema);
  if (edited) edited.sid = 6;
  assert.deepEqual(
    toBinary(
      PstreeEntrySchema,
      decodeImage('pstree.img', encodeImage(fine)).entries[0]?.as(PstreeEntrySchema) ?? create(PstreeEntrySchema),
    ),
    Uint8Array.from([8, 5, 16, 0, 24, 5, 32, 6]),
  );
});

test('an enum value CRIU may add later reads as a number and re-encodes exactly', () => {
  // fd type 99 and a negative one (an int32 on the wire: 10 bytes).
  for (const type of [99, -2]) {
    const entry = toBinary(FileEntrySchema, create(FileEntrySchema, { type, id: 5 }));
    const bytes = framed([IMG_COMMON_MAGIC, MAGIC.FILES], [...entry]);
    const image = decodeImage('files.img', bytes);
    assert.equal(image.entries[0]?.as(FileEntrySchema).type, type);
    assert.ok(same(toBinary(FileEntrySchema, fromBinary(FileEntrySchema, entry)), entry));
    assert.ok(same(encodeImage(image), bytes));
  }
});

test('edits are encoded; untouched entries keep their bytes', () => {
  const bytes = sample('pstree.img');
  const image = decodeImage('pstree.img', bytes);
  const second = image.entries[1] as ImageEntry;
  const secondBytes = second.bytes;
  // Assigning an equal message is not an edit.
  const first = image.entries[0] as ImageEntry;
  first.message = create(PstreeEntrySchema, { ...first.as(PstreeEntrySchema) });
  assert.ok(same(encodeImage(image), bytes));
  first.as(PstreeEntrySchema).pid = 4242;
  const again = decodeImage('pstree.img', encodeImage(image));
  assert.equal(again.entries[0]?.as(PstreeEntrySchema).pid, 4242);
  assert.ok(same(again.entries[1]?.bytes ?? new Uint8Array(), secondBytes));
  // New entries and replaced bytes.
  image.entries.push(
    ImageEntry.of(PstreeEntrySchema, create(PstreeEntrySchema, { pid: 7, ppid: 4242, pgid: 7, sid: 7 })),
  );
  assert.equal(decodeImage('pstree.img', encodeImage(image)).entries.length, 3);
  second.bytes = toBinary(PstreeEntrySchema, create(PstreeEntrySchema, { pid: 9, ppid: 0, pgid: 9, sid: 9 }));
  assert.equal(decodeImage('pstree.img', encodeImage(image)).entries[1]?.as(PstreeEntrySchema).pid, 9);
});

test('typed access checks the entry type', () => {
  const image = decodeImage('pagemap-100.img', sample('pagemap-100.img'));
  const head = image.entries[0] as ImageEntry;
  assert.throws(() => head.as(PagemapEntrySchema), TypeError);
  assert.throws(() => {
    head.message = create(PagemapEntrySchema, { vaddr: 0n, compatNrPages: 0 });
  }, TypeError);
  assert.equal(image.entries[1]?.as(PagemapEntrySchema).nrPages, 2n);
  assert.ok(image.entries[1]?.is(PagemapEntrySchema));
});

test('the encoder refuses an image CRIU could not read back', () => {
  const pipes = decodeImage('pipes-data.img', sample('pipes-data.img'));
  (pipes.entries[0] as ImageEntry).payload = new Uint8Array(3);
  assert.throws(() => encodeImage(pipes), /says 11 raw bytes follow it, its payload has 3/);
  (pipes.entries[0] as ImageEntry).as(PipeDataEntrySchema).bytes = 3;
  assert.equal(decodeImage('pipes-data.img', encodeImage(pipes)).entries[0]?.payload?.byteLength, 3);

  const pagemap = decodeImage('pagemap-100.img', sample('pagemap-100.img'));
  pagemap.entries.shift();
  assert.throws(() => encodeImage(pagemap), /PagemapEntry, a pagemap image has nodecriu.images.PagemapHead there/);

  const msg = decodeImage('ipcns-msg-9.img', sample('ipcns-msg-9.img'));
  msg.entries.pop();
  assert.throws(() => encodeImage(msg), /1 message\(s\) of the last queue are missing/);

  const ghost = decodeImage('ghost-file-a.img', sample('ghost-file-a.img'));
  ghost.entries.push(ghost.entries[0] as ImageEntry);
  assert.throws(() => encodeImage(ghost), /must be the last entry/);

  const stats = decodeImage('stats-dump', sample('stats-dump'));
  assert.throws(() => encodeImage({ ...stats, magics: [IMG_COMMON_MAGIC, MAGIC.STATS] }), RangeError);
  assert.throws(() => encodeImage({ ...stats, trailing: new Uint8Array(1) }), RangeError);
  assert.throws(() => encodeImage({ ...stats, type: 'nonsense' }), RangeError);
  const raw: DecodedImage = { ...decodeImage('pages-1.img', new Uint8Array(4)), entries: stats.entries };
  assert.throws(() => encodeImage(raw), RangeError);
});

test('an image that ends inside a structure is IMAGE_CORRUPT at its end', () => {
  const msg = sample('ipcns-msg-9.img');
  const frames = decodeImage('ipcns-msg-9.img', msg).entries;
  const cut = msg.subarray(0, frames[2]?.offset);
  assert.throws(
    () => decodeImage('ipcns-msg-9.img', cut),
    (error: unknown) => isCriuError(error, 'IMAGE_CORRUPT') && error.offset === cut.byteLength,
  );
  const empty = framed([IMG_COMMON_MAGIC, MAGIC.PAGEMAP]);
  assert.throws(() => decodeImage('pagemap-1.img', empty), /head entry/);
  // A queue that announces no message is complete.
  const queue = buildImage('ipcns-msg-1.img', 'ipcns-msg', [
    ImageEntry.of(
      IpcMsgEntrySchema,
      create(IpcMsgEntrySchema, {
        desc: { key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0, id: 0 },
        qbytes: 0,
        qnum: 0,
      }),
      new Uint8Array(0),
    ),
  ]);
  assert.equal(decodeImage('ipcns-msg-1.img', queue).entries.length, 1);
});

test('options: decode under another kind, and limits', () => {
  const bytes = sample('pstree.img');
  assert.equal(decodeImage('renamed.bin', bytes, { type: 'pstree' }).entries.length, 2);
  assert.throws(() => decodeImage('x', bytes, { type: 'nonsense' }), RangeError);
  assert.throws(() => decodeImage('pstree.img', bytes, { limits: { maxDepth: 0 } }), RangeError);
  assert.throws(() => decodeImage('pstree.img', bytes, { limits: { maxEntries: 1.5 } }), RangeError);
});

test('files: readImage/writeImage, and the readers built on the codec', async () => {
  for (const { name, bytes } of sampleImages()) writeFileSync(join(scratch, name), bytes);
  const image = await readImage(join(scratch, 'core-100.img'));
  assert.equal(image.file, join(scratch, 'core-100.img'));
  await writeImage(join(scratch, 'copy-of-core'), image);
  assert.equal((await readImage(join(scratch, 'copy-of-core'), { type: 'core' })).entries.length, 1);
  const tree = await readProcessTree(scratch);
  assert.deepEqual(
    tree.map((task) => [task.pid, task.ppid, task.threads]),
    [
      [100, 0, [100, 101]],
      [102, 100, [102]],
    ],
  );
  assert.equal((await readDumpStats(scratch))?.pagesWritten, 7);
  assert.equal(splitImage('pstree.img', sample('pstree.img'), MAGIC.PSTREE).entries.length, 2);
  assert.throws(() => splitImage('pstree.img', sample('pstree.img'), MAGIC.CORE), /not an image of magic/);
  assert.equal((await readEntries(join(scratch, 'pstree.img'), MAGIC.PSTREE, PstreeEntrySchema)).length, 2);
  writeFileSync(join(scratch, 'pstree.img'), sample('pstree.img').subarray(0, 13));
  await assert.rejects(
    readProcessTree(scratch),
    (error: unknown) => isCriuError(error, 'IMAGE_CORRUPT') && error.file === join(scratch, 'pstree.img'),
  );
});
