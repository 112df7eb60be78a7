// The archive's layout as checkpointctl reads it (its lib/metadata.go and internal/container.go),
// on a checkpoint built with the codec (no root, no CRIU), and the entry policy of import.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { placeEntry } from '../../src/archive/entry-policy.js';
import { TarWriter } from '../../src/archive/tar-writer.js';
import { exportCheckpoint, importCheckpoint, isCriuError, MANIFEST_NAME, verifyImages } from '../../src/index.js';
import { recordManifest } from '../../src/integrity/record.js';
import { linkParent, manifestDigest } from '../../src/series/parent-link.js';
import { writeSyntheticCheckpoint } from '../helpers/inspect-synthetic.js';
import { readEntries, type TarEntry } from '../helpers/tar-entries.js';

const root = mkdtempSync(join(tmpdir(), 'node-criu-archive-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A checkpoint built with the codec, recorded as CRIU's would be (on `parent` when given). */
async function synthetic(name: string, parent?: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  writeSyntheticCheckpoint(dir);
  const link = parent && linkParent(dir, parent);
  await recordManifest(dir, {
    backend: 'criu',
    criuVersion: '4.1',
    pid: 100,
    pids: [100, 102, 103],
    leftRunning: false,
    dumpOptions: { shellJob: false, tcpEstablished: false, fileLocks: false, extUnixSk: false },
    fds: [],
    mappings: [],
    digest: true,
    ...(parent && link
      ? { parent: { link, manifest: await manifestDigest(parent), pagesInParent: 0, pagesDumped: 0 } }
      : {}),
  });
  return dir;
}

async function exported(): Promise<{ entries: TarEntry[]; file: string }> {
  const dir = await synthetic('images');
  const file = join(root, 'synthetic.tar');
  await exportCheckpoint(dir, file);
  return { entries: await readEntries(file), file };
}

const archive = exported();

/** checkpointctl's hasPrefix: the path without a leading `./`. */
const hasPrefix = (path: string, prefix: string) => path.replace(/^\.\//, '').startsWith(prefix);

test('the entries checkpointctl looks for are there', async () => {
  const { entries } = await archive;
  const byPath = new Map(entries.map((e) => [e.path, e]));
  // CreateTasks: a dir entry with the prefix `checkpoint`, or "checkpoint directory is missing".
  assert.ok(entries.some((e) => hasPrefix(e.path, 'checkpoint') && e.type === 'Directory'));
  for (const name of ['config.dump', 'spec.dump', 'stats-dump']) assert.equal(byPath.get(name)?.type, 'File', name);
  // What `inspect --ps-tree/--files/--mounts/--ps-tree-cmd` untar from `checkpoint/`.
  for (const prefix of ['pstree.img', 'core-', 'ids-', 'files.img', 'fdinfo-', 'mm-', 'pagemap-', 'pages-'])
    assert.ok(
      entries.some((e) => hasPrefix(e.path, `checkpoint/${prefix}`)),
      `checkpoint/${prefix}`,
    );
  assert.ok(byPath.has(`checkpoint/${MANIFEST_NAME}`), "node-criu's manifest, where import finds it");
  // stats-dump at the root is CRIU's own, byte for byte (inspect --stats decodes it).
  assert.deepEqual(byPath.get('stats-dump')?.data, byPath.get('checkpoint/stats-dump')?.data);
  // getArchiveSizes: "CHKPT Size" is the regular files under checkpoint/.
  const size = entries
    .filter((e) => e.type === 'File' && hasPrefix(e.path, 'checkpoint'))
    .reduce((s, e) => s + e.data.length, 0);
  assert.ok(size > 0);
  assert.ok(!entries.some((e) => e.path === 'rootfs-diff.tar'), 'no rootfs diff: a plain process has none');
});

test('config.dump and spec.dump parse as JSON with the fields checkpointctl reads', async () => {
  const { entries } = await archive;
  const json = (path: string) => JSON.parse((entries.find((e) => e.path === path) as TarEntry).data.toString('utf8'));
  const config = json('config.dump');
  // metadata.ContainerConfig: strings, and RFC 3339 times (Go's time.Time unmarshals no other).
  assert.equal(typeof config.id, 'string');
  assert.match(config.id, /^[0-9a-f]{64}$/, 'an id like a container id (show prints its first 12)');
  assert.equal(config.name, 'root', "the root's command (comm)");
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  assert.match(config.createdTime, rfc3339);
  assert.match(config.checkpointedTime, rfc3339);
  assert.equal(config.restored, false);
  for (const absent of ['rootfsImage', 'rootfsImageRef', 'rootfsImageName', 'runtime'])
    assert.equal(config[absent], undefined, `${absent}: no image, no OCI runtime`);
  const spec = json('spec.dump');
  // runtime-spec's Spec: ociVersion a string, annotations a map of strings.
  assert.equal(typeof spec.ociVersion, 'string');
  assert.ok(Object.values(spec.annotations).every((v) => typeof v === 'string'));
  // Not libpod or cri-o: checkpointctl's containerd path, which names it by this annotation.
  assert.equal(spec.annotations['io.container.manager'], 'node-criu');
  assert.equal(spec.annotations['io.kubernetes.cri.container-name'], 'root');
  assert.equal(spec.process, undefined, 'nothing of a container that is not there');
});

test('import places entries by their header alone, refusing what no export writes', () => {
  const at = (path: string, type = 'File', linkpath?: string) => placeEntry('a.tar', { path, type, size: 1, linkpath });
  assert.deepEqual(at('checkpoint/', 'Directory'), { kind: 'member-dir', depth: 0 });
  assert.deepEqual(at('./checkpoint/pages-1.img'), { kind: 'file', depth: 0, name: 'pages-1.img' });
  assert.deepEqual(at('checkpoint/parents/2/core-1.img'), { kind: 'file', depth: 2, name: 'core-1.img' });
  assert.deepEqual(at('checkpoint/parents/1/parent', 'SymbolicLink', '../2'), {
    kind: 'parent-link',
    depth: 1,
    target: '../2',
  });
  assert.deepEqual(at('config.dump'), { kind: 'root-file', name: 'config.dump' });
  const refusals: [string, string, RegExp][] = [
    ['../x', 'File', /\.\./],
    ['checkpoint/../x', 'File', /\.\./],
    ['/checkpoint/x', 'File', /absolute/],
    ['checkpoint//x', 'File', /malformed/],
    ['checkpoint/./x', 'File', /malformed/],
    ['checkpoint/a/b', 'File', /not where/],
    ['checkpoint/parents/01/x', 'File', /not where/],
    ['checkpoint/parents/1/parents/1/x', 'File', /not where/],
    ['checkpoint/x', 'SymbolicLink', /symlink/],
    ['checkpoint/parent', 'File', /link belongs/],
    ['checkpoint/x', 'Link', /Link entry/],
    ['checkpoint/x', 'CharacterDevice', /device node/],
    ['checkpoint/x', 'BlockDevice', /device node/],
    ['checkpoint/x', 'FIFO', /fifo/],
    ['other.txt', 'File', /not part of/],
    ['rootfs-diff.tar', 'File', /not part of/],
    ['checkpoint/sub', 'Directory', /dir no checkpoint has/],
  ];
  for (const [path, type, why] of refusals) {
    assert.throws(
      () => at(path, type),
      (e) => isCriuError(e, 'IMAGE_INTEGRITY') && why.test(e.message),
      `${type} ${path}`,
    );
  }
});

test('a series is archived relinked into parents/N, and imports as a series that verifies', async () => {
  const a = await synthetic('a');
  const b = await synthetic('b', a);
  const file = join(root, 'series.tar');
  assert.equal((await exportCheckpoint(b, file)).checkpoints, 2);
  const entries = await readEntries(file);
  const link = entries.find((e) => e.path === 'checkpoint/parent');
  assert.deepEqual([link?.type, link?.linkpath], ['SymbolicLink', 'parents/1']);
  const archived = (path: string) => (entries.find((e) => e.path === path) as TarEntry).data;
  const top = JSON.parse(archived(`checkpoint/${MANIFEST_NAME}`).toString('utf8'));
  assert.equal(top.parent.link, 'parents/1', 'the manifest records the link as archived');
  assert.deepEqual(
    archived(`checkpoint/parents/1/${MANIFEST_NAME}`),
    readFileSync(join(a, MANIFEST_NAME)),
    'the oldest manifest as it was',
  );
  const imported = await importCheckpoint(file, join(root, 'imported'));
  assert.equal(imported.checkpoints, 2);
  assert.equal(readlinkSync(join(imported.imagesDir, 'parent')), 'parents/1');
  const verified = await verifyImages(imported.imagesDir);
  assert.equal(verified.manifest.parent?.link, 'parents/1');
  // The source keeps its own link and manifest.
  assert.equal(readlinkSync(join(b, 'parent')), '../a');
  await verifyImages(b);
});

test('an image changed after it was verified is not archived: its bytes are hashed again as they are copied', async () => {
  const file = join(root, 'image.img');
  writeFileSync(file, 'the bytes that were verified');
  const recorded = { size: 28, sha256: createHash('sha256').update('the bytes that were verified').digest('hex') };
  const sink = new PassThrough();
  sink.resume();
  await new TarWriter(sink, new Date(0)).copy('checkpoint/image.img', file, recorded);
  writeFileSync(file, 'the bytes that were altered!');
  await assert.rejects(
    new TarWriter(sink, new Date(0)).copy('checkpoint/image.img', file, recorded),
    (e) => isCriuError(e, 'IMAGE_INTEGRITY') && /was altered while it was being archived/.test(e.message),
  );
  writeFileSync(file, 'shorter');
  await assert.rejects(
    new TarWriter(sink, new Date(0)).copy('checkpoint/image.img', file, recorded),
    (e) => isCriuError(e, 'IMAGE_INTEGRITY') && /shrank/.test(e.message),
  );
});
