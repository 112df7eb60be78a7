// Our RPC schema against hand-built wire bytes: field numbers and types match CRIU's protocol.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { RequestSchema, RequestType, ResponseSchema } from '../../src/gen/criu_rpc_pb.js';
import { criuOptions } from '../../src/rpc/client.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('a DUMP request encodes with the protocol field numbers', () => {
  const req = create(RequestSchema, {
    type: RequestType.DUMP,
    opts: criuOptions({ pid: 300, leaveRunning: true, logLevel: 4, external: ['unix[7]'], imagesDir: '/d' }),
  });
  // type=1 (field 1 varint), opts (field 2, len): images_dir_fd=-1 (1), pid=300 (2),
  // leave_running (3), log_level=4 (9), external (37, tag 0xaa 0x02), images_dir (68, tag 0xa2 0x04).
  assert.equal(
    hex(toBinary(RequestSchema, req)),
    `0801` +
      `12` +
      `21` +
      `08ffffffffffffffffff01` +
      `10ac02` +
      `1801` +
      `4804` +
      `aa0207756e69785b375d` +
      `a204022f64`,
  );
});

test('every request type round-trips, with inherit_fd, join_ns and notify answers', () => {
  for (const type of Object.values(RequestType).filter((v): v is RequestType => typeof v === 'number')) {
    const req = create(RequestSchema, {
      type,
      notifySuccess: true,
      keepOpen: true,
      pid: 77,
      features: { memTrack: true },
      opts: criuOptions({
        inheritFd: [{ key: 'pipe:[123]', fd: 4 }],
        joinNs: [{ ns: 'ipc', nsFile: '/proc/1/ns/ipc' }],
        rstSibling: true,
      }),
    });
    const back = fromBinary(RequestSchema, toBinary(RequestSchema, req));
    assert.equal(back.type, type);
    assert.deepEqual(
      back.opts?.inheritFd.map((i) => [i.key, i.fd]),
      [['pipe:[123]', 4]],
    );
    assert.equal(back.opts?.joinNs[0]?.nsFile, '/proc/1/ns/ipc');
    assert.equal(back.opts?.rstSibling, true);
    assert.equal(back.pid, 77);
  }
});

test('a response from hand-written bytes decodes: restore pid, errno, notify', () => {
  // type=RESTORE, success=true, restore{pid=4242}, cr_errno=17, notify{script="post-restore", pid=9}
  const script = Buffer.from('post-restore').toString('hex');
  const bytes = Buffer.from(
    ['0802', '1001', '2203', '089221', '3811', '2a10', `0a0c${script}`, '1009'].join(''),
    'hex',
  );
  const resp = fromBinary(ResponseSchema, bytes);
  assert.equal(resp.type, RequestType.RESTORE);
  assert.equal(resp.success, true);
  assert.equal(resp.restore?.pid, 4242);
  assert.equal(resp.crErrno, 17);
  assert.equal(resp.notify?.script, 'post-restore');
  assert.equal(resp.notify?.pid, 9);
});
