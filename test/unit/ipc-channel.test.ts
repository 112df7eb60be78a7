// The IPC channel a restored process gets: Node's two wire formats, byte for byte and split
// anywhere; Node's internal messages; the manifest section and the environment it comes from.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serialize } from 'node:v8';
import { isCriuError } from '../../src/errors.js';
import { MANIFEST_FORMAT, MANIFEST_NAME, readManifest } from '../../src/integrity/manifest.js';
import { isIpcChannelSection, readChannelEnv } from '../../src/ipc/channel-section.js';
import { MESSAGE_CODECS } from '../../src/ipc/message-codecs.js';
import { RestoredHandle } from '../../src/process/restored-handle.js';
import { hostSocketPair } from '../../src/sim/host-socket-pair.js';

/** Feeds `bytes` to a new decoder one byte at a time: a message may be split anywhere. */
function decodeBytewise(codec: (typeof MESSAGE_CODECS)['json'], bytes: Buffer): unknown[] {
  const decoder = codec.decoder();
  return [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])));
}

test("'json': one JSON text per line, decoded across any split (a multibyte character too)", () => {
  const messages = [{ text: 'héllo € \n end' }, [1, 2, 3], 'plain', 42, null];
  const bytes = Buffer.concat(messages.map((m) => MESSAGE_CODECS.json.encode(m)));
  assert.equal(bytes.toString('utf8').split('\n').length, messages.length + 1, 'one line per message');
  assert.deepEqual(decodeBytewise(MESSAGE_CODECS.json, bytes), messages);
});

test("'advanced': a big-endian length, then V8's serialization, which Node's own matches", () => {
  const value = { big: 2n ** 70n, map: new Map([[1, 'one']]), set: new Set([1]), bytes: new Uint8Array([7, 8]) };
  const frame = MESSAGE_CODECS.advanced.encode(value);
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  // Without host objects our serializer writes what v8.serialize (Node's DefaultSerializer) does.
  const plain = { a: [1, 'two'], b: new Map([['k', 2n]]) };
  assert.deepEqual(MESSAGE_CODECS.advanced.encode(plain).subarray(4), serialize(plain));
  const twice = Buffer.concat([frame, frame]);
  assert.deepEqual(decodeBytewise(MESSAGE_CODECS.advanced, twice), [value, value]);
});

class Handle extends RestoredHandle {
  protected deliver(): boolean {
    return true;
  }
  ref(): void {}
  unref(): void {}
}

const pairs: Socket[] = [];
after(() => {
  for (const socket of pairs) socket.destroy();
});

/** A handle whose channel's other end is `peer`, as the restored process's would be. */
async function handleWithPeer(serialization: 'json' | 'advanced') {
  const [ours, peer] = await hostSocketPair();
  pairs.push(ours, peer);
  const handle = new Handle({
    pid: 1,
    pids: [1],
    streams: new Map(),
    defaultedFds: [],
    channel: { socket: ours, serialization, fd: 3 },
    exit: new Promise(() => {}),
  });
  return { handle, peer };
}

test('a handle sent by the process is acknowledged (the sender waits for that) and its message delivered without it', async () => {
  const { handle, peer } = await handleWithPeer('json');
  const warned = once(process, 'warning');
  const got = once(handle, 'message');
  const acked = once(peer, 'data');
  peer.write(`${JSON.stringify({ cmd: 'NODE_CLUSTER', ignored: true })}\n`);
  peer.write(`${JSON.stringify({ cmd: 'NODE_HANDLE', type: 'net.Socket', msg: { hi: 1 } })}\n`);
  assert.deepEqual(await got, [{ hi: 1 }, undefined]);
  assert.deepEqual(JSON.parse(String((await acked)[0])), { cmd: 'NODE_HANDLE_ACK' });
  assert.equal((await warned)[0].code, 'NODE_CRIU_IPC_HANDLE_DROPPED');
});

test("the process's end closing is 'disconnect' after its last messages; then send() is CHANNEL_CLOSED", async () => {
  const { handle, peer } = await handleWithPeer('advanced');
  const seen: unknown[] = [];
  handle.on('message', (m) => seen.push(m));
  handle.on('disconnect', () => seen.push('disconnect'));
  peer.end(MESSAGE_CODECS.advanced.encode({ last: true }));
  await once(handle, 'disconnect');
  assert.deepEqual(seen, [{ last: true }, 'disconnect']);
  assert.equal(handle.connected, false);
  const error = await new Promise<Error | null>((resolve) => handle.send('late', resolve));
  assert.ok(isCriuError(error, 'CHANNEL_CLOSED'));
  const [again] = await Promise.all([once(handle, 'error'), handle.disconnect()]);
  assert.ok(isCriuError(again[0], 'CHANNEL_CLOSED'), 'disconnect() twice is an error, as in Node');
});

test('send() checks its arguments as child_process does, and refuses handles', async () => {
  const { handle, peer } = await handleWithPeer('json');
  assert.throws(() => handle.send(undefined), TypeError);
  assert.throws(() => handle.send('x', undefined, 7 as unknown as undefined), TypeError);
  assert.throws(
    () => handle.send('x', {} as unknown as undefined),
    (e) => isCriuError(e, 'UNSUPPORTED'),
  );
  const received = once(peer, 'data');
  const sent = new Promise<Error | null>((resolve) => handle.send({ ok: true }, undefined, {}, resolve));
  assert.equal(await sent, null);
  assert.equal(String((await received)[0]), '{"ok":true}\n');
});

test('the manifest section is checked when the manifest is read', async () => {
  assert.equal(isIpcChannelSection({ fd: 3, serialization: 'json' }), true);
  for (const bad of [null, { fd: -1, serialization: 'json' }, { fd: 3, serialization: 'yaml' }, { fd: '3' }]) {
    assert.equal(isIpcChannelSection(bad), false, JSON.stringify(bad));
  }
  const dir = mkdtempSync(join(tmpdir(), 'node-criu-ipc-'));
  try {
    const manifest = { format: MANIFEST_FORMAT, complete: true, files: {}, ipc: { fd: 3, serialization: 'xml' } };
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(manifest));
    await assert.rejects(readManifest(dir), (e) => isCriuError(e, 'IMAGE_INTEGRITY') && /ipc section/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the channel is read from the environment the process was started with', {
  skip: process.platform === 'linux' ? false : 'reads /proc (Linux only)',
}, async () => {
  const env = { ...process.env, NODE_CHANNEL_FD: '7', NODE_CHANNEL_SERIALIZATION_MODE: 'advanced' };
  const child = spawn('sleep', ['10'], { env, stdio: 'ignore' });
  const plain = spawn('sleep', ['10'], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
  try {
    await Promise.all([once(child, 'spawn'), once(plain, 'spawn')]);
    assert.deepEqual(readChannelEnv(child.pid as number), { fd: 7, serialization: 'advanced' });
    assert.equal(readChannelEnv(plain.pid as number), undefined);
  } finally {
    child.kill('SIGKILL');
    plain.kill('SIGKILL');
  }
});
