// Live migration's protocol without CRIU: frames split anywhere still read whole, a connection
// turned raw hands back what followed its hello, endpoints parse and options are validated.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { formatEndpoint, migrate, parseEndpoint, serve } from '../../src/index.js';
import { encodeFrame, FrameKind, FrameReader, messageFrame } from '../../src/migrate/frames.js';
import { decodeMessage } from '../../src/migrate/protocol.js';

const asSocket = (stream: PassThrough) => stream as unknown as Socket;

test('frames split at every byte boundary are read whole, in order', async () => {
  const bytes = Buffer.concat([
    messageFrame({ type: 'start', frozenMs: 12.5 }),
    encodeFrame(FrameKind.data, Buffer.from([1, 2, 3])),
    messageFrame({ type: 'abort', message: 'x' }),
  ]);
  for (let cut = 1; cut < bytes.length; cut++) {
    const stream = new PassThrough();
    const reader = new FrameReader(asSocket(stream));
    stream.write(bytes.subarray(0, cut));
    stream.write(bytes.subarray(cut));
    assert.deepEqual(decodeMessage(await reader.next()), { type: 'start', frozenMs: 12.5 });
    const data = await reader.next();
    assert.equal(data.kind, FrameKind.data);
    assert.deepEqual([...data.payload], [1, 2, 3]);
    assert.deepEqual(decodeMessage(await reader.next()), { type: 'abort', message: 'x' });
  }
});

test('a reader detached after the hello hands back the raw bytes that followed it', async () => {
  const stream = new PassThrough();
  const reader = new FrameReader(asSocket(stream));
  stream.write(Buffer.concat([messageFrame({ type: 'pages', protocol: 1, id: 'a' }), Buffer.from('raw')]));
  assert.equal(decodeMessage(await reader.next()).type, 'pages');
  assert.equal(reader.detach().toString(), 'raw');
});

test('an oversized frame or an ended connection rejects the read; data where a message is due is refused', async () => {
  const huge = new PassThrough();
  const reader = new FrameReader(asSocket(huge));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1 << 30, 0);
  huge.write(header);
  await assert.rejects(reader.next(), /does not speak node-criu's migration protocol/);
  const ended = new PassThrough();
  const endedReader = new FrameReader(asSocket(ended));
  ended.end();
  await assert.rejects(endedReader.next(), /closed/);
  assert.throws(() => decodeMessage({ kind: FrameKind.data, payload: Buffer.alloc(1) }), /data where a message/);
});

test('endpoints: HOST:PORT and [IPV6%SCOPE]:PORT, addresses only', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:7000'), { host: '127.0.0.1', port: 7000 });
  assert.deepEqual(parseEndpoint('[fe80::1%eth0]:7000'), { host: 'fe80::1%eth0', port: 7000 });
  assert.equal(formatEndpoint({ host: 'fe80::1%eth0', port: 7000 }), '[fe80::1%eth0]:7000');
  assert.throws(() => parseEndpoint('fe80::1:7000'), TypeError);
  assert.throws(() => parseEndpoint('example.org:7000'), /must be an IP address/);
  assert.throws(() => parseEndpoint('127.0.0.1:70000'), RangeError);
});

test('migrate() and serve() validate their options before anything runs', async () => {
  await assert.rejects(migrate(1, {} as never), /Option 'to' is required/);
  await assert.rejects(migrate(1, { to: { host: '::1', port: 1 }, leftBehnd: 'replace' } as never), /leftBehind/);
  await assert.rejects(
    migrate(1, { to: { host: '::1', port: 1 }, leftBehind: 'keep' } as never),
    /'refuse' or 'replace'/,
  );
  await assert.rejects(serve({ listen: { host: 'localhost', port: 0 } }), /must be an IP address/);
  await assert.rejects(serve({ listen: { host: '::1', port: 0 }, fds: 3 } as never), TypeError);
});
