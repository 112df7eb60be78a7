// Images as JSON and back (node-criu decode / encode) without CRIU: exact bytes where the JSON of
// a message cannot carry them, edits taking effect, and malformed JSON refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { FdinfoEntrySchema, FdType } from '../../src/gen/criu_images_files_pb.js';
import { IpcSemEntrySchema } from '../../src/gen/criu_images_ipc_pb.js';
import { PstreeEntrySchema } from '../../src/gen/criu_images_pb.js';
import {
  type DecodedImage,
  decodeImage,
  encodeImage,
  headerMagics,
  ImageEntry,
  imageType,
} from '../../src/images/codec.js';
import { encodeImageJson, type ImageJson, imageToJson } from '../../src/inspect/image-json.js';

function image(file: string, type: string, entries: ImageEntry[]): Uint8Array {
  const kind = imageType(type);
  assert.ok(kind);
  const decoded: DecodedImage = { file, type, id: undefined, magics: headerMagics(kind.header, kind.magic), entries };
  return encodeImage(decoded);
}

function roundTrip(name: string, bytes: Uint8Array): { json: ImageJson; again: Uint8Array } {
  const json = JSON.parse(JSON.stringify(imageToJson(decodeImage(name, bytes))));
  return { json, again: encodeImageJson(json, name) };
}

const fdinfo = (fd: number) => create(FdinfoEntrySchema, { id: fd + 10, flags: 0, type: FdType.REG, fd });

test('plain messages: JSON alone, and byte for byte back', () => {
  const bytes = image('fdinfo-1.img', 'fdinfo', [
    ImageEntry.of(FdinfoEntrySchema, fdinfo(0)),
    ImageEntry.of(FdinfoEntrySchema, fdinfo(1)),
  ]);
  const { json, again } = roundTrip('fdinfo-1.img', bytes);
  assert.equal(json.type, 'fdinfo');
  assert.equal(json.id, '1');
  assert.deepEqual(json.entries[1], {
    type: 'nodecriu.images.FdinfoEntry',
    message: { id: 11, flags: 0, type: 1, fd: 1 },
  });
  assert.ok(Buffer.from(again).equals(bytes));
});

test('a field the schema does not know keeps the original bytes, until the message is edited', () => {
  // fd 3 with an extra varint field 99 = 5 appended.
  const known = toBinary(FdinfoEntrySchema, fdinfo(3));
  const withUnknown = new Uint8Array([...known, 0x98, 0x06, 0x05]);
  const bytes = image('fdinfo-1.img', 'fdinfo', [new ImageEntry({ schema: FdinfoEntrySchema, bytes: withUnknown })]);
  const { json, again } = roundTrip('fdinfo-1.img', bytes);
  assert.equal(typeof json.entries[0]?.bytes, 'string', 'the message JSON alone would lose field 99');
  assert.ok(Buffer.from(again).equals(bytes));
  // Edited: the message wins (field 99 is lost, as it must be).
  (json.entries[0]?.message as { fd: number }).fd = 4;
  const edited = decodeImage('fdinfo-1.img', encodeImageJson(json, 'fdinfo-1.img'));
  assert.equal(edited.entries[0]?.as(FdinfoEntrySchema).fd, 4);
});

test('payloads, raw images and files CRIU does not name', () => {
  const values = new Uint8Array([1, 0, 2, 0, 3, 0, 0, 0]);
  const sem = image('ipcns-sem-9.img', 'ipcns-sem', [
    ImageEntry.of(
      IpcSemEntrySchema,
      create(IpcSemEntrySchema, { desc: { key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, id: 0 }, nsems: 3 }),
      values,
    ),
  ]);
  const semJson = roundTrip('ipcns-sem-9.img', sem);
  assert.equal(semJson.json.entries[0]?.payload, Buffer.from(values).toString('base64'));
  assert.ok(Buffer.from(semJson.again).equals(sem));
  const pages = new Uint8Array(8192).map((_, i) => i % 251);
  const raw = roundTrip('pages-3.img', pages);
  assert.equal(raw.json.type, 'pages');
  assert.deepEqual(raw.json.entries, []);
  assert.ok(Buffer.from(raw.again).equals(pages));
  const log = new TextEncoder().encode('(00.000000) a log line\n');
  const unknown = roundTrip('dump.log', log);
  assert.equal(unknown.json.type, null);
  assert.ok(Buffer.from(unknown.again).equals(log));
});

test('malformed or inconsistent JSON is refused with INVALID_IMAGES', () => {
  const bytes = image('pstree.img', 'pstree', [
    ImageEntry.of(PstreeEntrySchema, create(PstreeEntrySchema, { pid: 1, ppid: 0, pgid: 1, sid: 1 })),
  ]);
  const good = (): ImageJson => JSON.parse(JSON.stringify(imageToJson(decodeImage('pstree.img', bytes))));
  const refused = (json: unknown, pattern: RegExp) =>
    assert.throws(
      () => encodeImageJson(json, 'x.json'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'INVALID_IMAGES');
        assert.match(e.message, pattern);
        return true;
      },
    );
  refused({ ...good(), format: 'other' }, /format is not/);
  refused({ ...good(), type: 'nonsense' }, /unknown image type/);
  refused(
    { ...good(), entries: [{ type: 'nodecriu.images.CoreEntry', message: {} }] },
    /entry 0 is nodecriu.images.CoreEntry/,
  );
  refused({ ...good(), entries: [{ type: 'nodecriu.images.PstreeEntry', message: { pid: 'x' } }] }, /not a valid/);
  refused({ ...good(), entries: [{ type: 'nodecriu.images.PstreeEntry', bytes: '***' }] }, /not base64/);
  refused({ ...good(), magics: [1] }, /magic/);
  const sem = good();
  sem.type = 'ipcns-sem';
  sem.magics = headerMagics('common', imageType('ipcns-sem')?.magic ?? 0);
  sem.entries = [
    {
      type: 'nodecriu.images.IpcSemEntry',
      message: { desc: { key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 384, id: 0 }, nsems: 3 },
      payload: 'AAA=',
    },
  ];
  refused(sem, /raw bytes/);
});
