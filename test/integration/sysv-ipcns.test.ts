// IPC-namespace mode with a real victim: spawn(..., { namespaces: ['ipc'] }) gives the child its
// own IPC namespace, and CRIU saves and restores its segment (contents included) itself. On top
// of that: contents left out of the images and refilled, a segment renumbered, and a restore
// into an existing namespace binding to the segment that lives there.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PagemapHeadSchema } from '../../src/gen/criu_images_memory_pb.js';
import { readImage } from '../../src/images/codec.js';
import { checkpoint, inspect, isCriuError, restore, spawn } from '../../src/index.js';
import { ipcNamespaceOf } from '../../src/sysv/ipc-namespace.js';
import { readShmSegments } from '../../src/sysv/ipc-table.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { readNumbers, waitForState } from '../helpers/sysv-objects.js';
import { alive, fixture, killAll, scratchDir } from '../helpers/victims.js';

const started: number[] = [];
after(() => killAll(started));
const skip = skipUnlessCriu;
/** The fixture's segment: key 0x1cc, 64 KiB, a u64 counter at offset 0. */
const KEY = 0x1cc;
const SIZE = 65536;

/** Starts the fixture in an IPC namespace of its own; resolves once it has counted `rounds`. */
async function startInNamespace(state: string, rounds = 2): Promise<{ pid: number; shmid: number }> {
  const child = spawn(fixture('sysv-ipcns'), [state], { stdio: 'ignore', namespaces: ['ipc'] });
  child.unref();
  const pid = child.pid as number;
  started.push(pid);
  const [, , shmid = -1] = await waitForState(state, ([r = 0]) => r >= rounds, `${rounds} rounds`);
  return { pid, shmid };
}

const u64 = (value: number): Buffer => {
  const data = Buffer.alloc(8);
  data.writeBigUInt64LE(BigInt(value));
  return data;
};

test("spawn with namespaces: ['ipc'] runs the child in its own IPC namespace; CRIU restores its segment", {
  skip: skipUnlessCriu,
}, async () => {
  const state = `${scratchDir()}/ipcns`;
  const child = spawn(fixture('sysv-ipcns'), [state], { stdio: 'ignore', namespaces: ['ipc'] });
  child.unref();
  assert.ok(child.pid);
  started.push(child.pid);
  const [, , shmid] = await waitForState(state, ([r = 0]) => r >= 2, 'two rounds');
  assert.notEqual(readlinkSync(`/proc/${child.pid}/ns/ipc`), readlinkSync('/proc/self/ns/ipc'));
  const cp = await checkpoint(child.pid, { digest: false });
  assert.equal(cp.sysv, undefined, 'no host attachments: the namespace is CRIU’s to save');
  const [, saved = 0] = await waitForState(state, (n) => n.length === 3, 'the last state');
  const restored = await restore(cp.imagesDir);
  started.push(restored.pid);
  const [, value, id] = await waitForState(state, ([, v = 0]) => v >= saved + 2, `the count going on from ${saved}`);
  assert.equal(id, shmid, 'the same segment id in the restored namespace');
  assert.ok((value ?? 0) >= saved + 2);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('a lazy restore restores the SysV segment eagerly (CRIU cannot serve it on demand) and says so', {
  skip,
}, async () => {
  const state = join(scratchDir(), 'ipcns');
  const victim = await startInNamespace(state);
  const cp = await checkpoint(victim.pid, { imagesDir: join(scratchDir(), 'images') });
  const [, saved = 0] = await waitForState(state, (n) => n.length === 3, 'the last state');
  const restored = await restore(cp.imagesDir, { lazyPages: true });
  started.push(restored.pid);
  const stats = await restored.pagesLoaded;
  assert.deepEqual(
    stats?.eager.find((e) => e.kind === 'sysv'),
    { kind: 'sysv', pages: 1 },
    `the one page written of the segment is listed as restored eagerly: ${JSON.stringify(stats?.eager)}`,
  );
  const [, value] = await waitForState(state, ([, v = 0]) => v >= saved + 2, `the count going on from ${saved}`);
  assert.ok((value ?? 0) >= saved + 2);
  restored.kill('SIGKILL');
  await restored.exited;
});

test("leaveOutContents: the segment's pages are not in the images; restore needs a refill and resumes from it", {
  skip,
}, async () => {
  const state = join(scratchDir(), 'ipcns');
  const victim = await startInNamespace(state);
  const cp = await checkpoint(victim.pid, { digest: false, sysv: { leaveOutContents: [victim.shmid] } });
  assert.deepEqual(cp.sysv?.contentsLeftOut, [{ id: victim.shmid, key: KEY, size: SIZE }]);
  // Listed among what the restore needs, with the option that refills it.
  assert.deepEqual(
    cp.needs.filter((n) => n.kind === 'shm-contents'),
    [
      {
        kind: 'shm-contents',
        id: victim.shmid,
        key: KEY,
        size: SIZE,
        why: 'leaveOutContents',
        substitute: 'required',
        option: `sysv.shm['${victim.shmid}']`,
      },
    ],
  );
  const [segment] = (await inspect(cp.imagesDir)).sysv[0]?.shm ?? [];
  assert.equal(segment?.id, victim.shmid);
  assert.equal(segment?.presentPages, 0, 'no page of the segment is in the images');
  const head = (await readImage(join(cp.imagesDir, `pagemap-shmem-${victim.shmid}.img`))).entries;
  assert.equal(head.length, 1, 'its pagemap keeps its head only');
  const pages = `pages-${head[0]?.as(PagemapHeadSchema).pagesId}.img`;
  assert.equal(statSync(join(cp.imagesDir, pages)).size, 0, `${pages} holds no bytes`);
  const [, saved = 0] = readNumbers(state);
  assert.ok(saved >= 2);

  // Without a refill the restore is refused before anything runs.
  await assert.rejects(
    restore(cp.imagesDir),
    (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && /left out at checkpoint/.test(e.message),
  );
  assert.equal(alive(victim.pid), false, 'nothing was restored');

  const restored = await restore(cp.imagesDir, { sysv: { shm: { [victim.shmid]: { data: u64(1_000_000) } } } });
  started.push(restored.pid);
  const [, value = 0] = await waitForState(state, ([, v = 0]) => v > 1_000_001, 'the count going on from the refill');
  assert.ok(value < 1_000_100, `counting on from the refill, not from ${saved}: ${value}`);
  restored.kill('SIGKILL');
  await restored.exited;
});

test("'all' contents left out, refilled from a snapshot taken in the tree's namespace with the checkpoint", {
  skip,
}, async () => {
  const state = join(scratchDir(), 'ipcns');
  const victim = await startInNamespace(state);
  const cp = await checkpoint(victim.pid, {
    digest: false,
    sysv: { leaveOutContents: 'all', snapshot: { shm: [victim.shmid] } },
  });
  const snapshotted = readFileSync(join(cp.imagesDir, `sysv-shm-${victim.shmid}.bin`));
  assert.equal(snapshotted.length, SIZE);
  const base = Number(snapshotted.readBigUInt64LE(0));
  assert.ok(base >= 2, `the snapshot holds the segment's count (${base})`);
  const restored = await restore(cp.imagesDir, { sysv: { shm: { [victim.shmid]: 'snapshot' } } });
  started.push(restored.pid);
  const [, value = 0] = await waitForState(state, ([, v = 0]) => v > base + 1, `the count going on from ${base}`);
  assert.ok(value < base + 100);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('a segment renumbered at restore into a new namespace: recreated under the new id, contents kept', {
  skip,
}, async () => {
  const state = join(scratchDir(), 'ipcns');
  const victim = await startInNamespace(state);
  const cp = await checkpoint(victim.pid, { digest: false });
  const [, saved = 0] = readNumbers(state);
  const to = victim.shmid + 32768 * 3;
  const restored = await restore(cp.imagesDir, { sysv: { shm: { [victim.shmid]: to } } });
  started.push(restored.pid);
  await waitForState(state, ([, v = 0]) => v >= saved + 2, `the count going on from ${saved}`);
  const segments = readShmSegments(ipcNamespaceOf(restored.pid));
  assert.deepEqual(
    segments.map((s) => [s.id, s.key, s.size]),
    [[to, KEY, SIZE]],
  );
  restored.kill('SIGKILL');
  await restored.exited;
});

test('joinNs ipc: the restored tree binds to the segment living in that namespace (by key), nothing recreated', {
  skip,
}, async () => {
  const dir = scratchDir();
  const victim = await startInNamespace(join(dir, 'victim'));
  const cp = await checkpoint(victim.pid, { digest: false });
  // The holder's namespace has another segment first, so its key 0x1cc segment has another id.
  const tool = fixture('contract-sysv-tool');
  const holderState = join(dir, 'holder');
  const holder = spawn(
    'sh',
    ['-c', '"$0" create 4096 >/dev/null && exec "$1" "$2"', tool, fixture('sysv-ipcns'), holderState],
    {
      stdio: 'ignore',
      namespaces: ['ipc'],
    },
  );
  holder.unref();
  started.push(holder.pid as number);
  const [, , liveId = -1] = await waitForState(holderState, ([r = 0]) => r >= 1, 'the holder counting');
  assert.notEqual(liveId, victim.shmid);
  const nsFile = ipcNamespaceOf(holder.pid as number);
  // Set the live count far from the checkpoint's (retried: the holder's increments may race it).
  while ((readNumbers(holderState)[1] ?? 0) < 1_000_000) {
    execFileSync('nsenter', [`--ipc=${nsFile}`, tool, 'poke', String(liveId), '1000000']);
    await new Promise((r) => setTimeout(r, 150));
  }
  // A substitute that does not fit is refused before CRIU runs.
  await assert.rejects(
    restore(cp.imagesDir, { joinNs: [{ ns: 'ipc', nsFile }], sysv: { shm: { [victim.shmid]: 0 } } }),
    (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && /4096 bytes/.test(e.message),
  );
  assert.equal(alive(victim.pid), false);
  const before = statSync(join(cp.imagesDir, `mm-${victim.pid}.img`)).mtimeMs;

  const restored = await restore(cp.imagesDir, { joinNs: [{ ns: 'ipc', nsFile }] });
  started.push(restored.pid);
  assert.equal(readlinkSync(ipcNamespaceOf(restored.pid)), readlinkSync(nsFile));
  // The restored victim counts on the holder's segment: from a million, not from its own count.
  await waitForState(join(dir, 'victim'), ([, v = 0]) => v > 1_000_000, 'the victim counting on the live segment');
  assert.deepEqual(
    readShmSegments(nsFile).map((s) => s.id),
    [0, liveId],
    'no segment was recreated in the joined namespace',
  );
  assert.equal(statSync(join(cp.imagesDir, `mm-${victim.pid}.img`)).mtimeMs, before, 'images untouched');
  restored.kill('SIGKILL');
  await restored.exited;
});

test('CLI: dump --sysv-leave-out-contents all, restore --shm ID=file:PATH refills from a file', { skip }, async () => {
  const run = promisify(execFile);
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const dir = scratchDir();
  const state = join(dir, 'ipcns');
  const victim = await startInNamespace(state);
  const images = join(dir, 'cp');
  await run(process.execPath, [cli, 'dump', String(victim.pid), '-D', images, '--sysv-leave-out-contents', 'all']);
  const refill = join(dir, 'refill');
  writeFileSync(refill, u64(5_000_000));
  const { stdout } = await run(process.execPath, [
    cli,
    'restore',
    '-D',
    images,
    '--shm',
    `${victim.shmid}=file:${refill}`,
    '--detach',
    '--json',
  ]);
  const { pid } = JSON.parse(stdout) as { pid: number };
  started.push(pid);
  await waitForState(state, ([, v = 0]) => v > 5_000_001, 'the count going on from the file');
});

test('IPC-namespace mode: segments, semaphore values and queued messages come back with the namespace', {
  skip,
}, async () => {
  const dir = scratchDir();
  // The fixture makes its own IPC namespace, then segments, semaphore sets and queues with messages.
  const child = spawn(fixture('images-sysv'), [dir], { stdio: 'ignore' });
  child.unref();
  started.push(child.pid as number);
  while (!existsSync(join(dir, 'ready'))) await new Promise((r) => setTimeout(r, 10));
  const objects = async (imagesDir: string) => {
    const [ns] = (await inspect(imagesDir)).sysv;
    assert.ok(ns, 'the checkpoint has the IPC namespace');
    return {
      shm: ns.shm.map(({ id, key, size }) => ({ id, key, size })),
      sem: ns.sem.map(({ id, key, values }) => ({ id, key, values })),
      msg: ns.msg.map(({ id, key, messages }) => ({ id, key, messages })),
    };
  };
  const cp = await checkpoint(child.pid as number, { digest: false });
  const before = await objects(cp.imagesDir);
  assert.ok(before.shm.length > 0 && before.sem.length > 0 && before.msg.length > 0);
  const restored = await restore(cp.imagesDir);
  started.push(restored.pid);
  // What the restored namespace holds, as a second checkpoint of it sees it.
  const again = await checkpoint(restored.pid, { digest: false, leaveRunning: true });
  assert.deepEqual(await objects(again.imagesDir), before);
  restored.kill('SIGKILL');
  await restored.exited;
});
