// The RPC request/notify loop against a scripted CRIU: acks, nacks, hooks, bad replies.
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { isCriuError } from '../../src/errors.js';
import { RequestSchema, RequestType, ResponseSchema } from '../../src/gen/criu_rpc_pb.js';
import { exchange } from '../../src/rpc/conversation.js';
import { ScriptedTransport } from '../helpers/scripted-transport.js';

const dumpRequest = () => create(RequestSchema, { type: RequestType.DUMP, opts: { imagesDirFd: -1, pid: 42 } });
const notify = (script: string, pid = 0) => ({
  reply: { type: RequestType.NOTIFY, success: true, notify: { script, pid } },
});
const done = (success = true) => ({ reply: { type: RequestType.DUMP, success } });

test('notifications are acknowledged and the final reply returned', async () => {
  const t = new ScriptedTransport([notify('pre-dump'), notify('post-dump'), done()]);
  const seen: string[] = [];
  const result = await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: { preDump: (c) => void seen.push(c.notification), postDump: async (c) => void seen.push(c.notification) },
  });
  assert.equal(result.response.success, true);
  assert.equal(result.refusal, undefined);
  assert.deepEqual(seen, ['pre-dump', 'post-dump']);
  assert.equal(t.sent.length, 3);
  assert.equal(t.sent[0]?.type, RequestType.DUMP);
  assert.equal(t.sent[0]?.opts?.pid, 42);
  for (const ack of t.sent.slice(1)) {
    assert.equal(ack.type, RequestType.NOTIFY);
    assert.equal(ack.notifySuccess, true);
  }
});

test('an answer given ahead is there before its notification, whose hook still runs unanswered', async () => {
  const t = new ScriptedTransport([notify('pre-dump'), notify('post-dump'), done()]);
  const seen: string[] = [];
  const result = await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: { preDump: (c) => void seen.push(c.notification), postDump: (c) => void seen.push(c.notification) },
    answerAhead: (answer) => answer(),
  });
  assert.equal(result.response.success, true);
  assert.deepEqual(seen, ['pre-dump', 'post-dump']);
  // CRIU reads one answer per notification, in order: exactly one each.
  assert.deepEqual(t.log, [
    'sent DUMP',
    'sent NOTIFY true',
    'got pre-dump',
    'got post-dump',
    'sent NOTIFY true',
    'got DUMP',
  ]);
});

test("an answer asked for ahead while a notification is handled follows that notification's own answer", async () => {
  const t = new ScriptedTransport([notify('query-ext-files'), notify('post-dump'), done()]);
  let answerNext = () => {};
  let postDumpRan = false;
  await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: {
      queryExtFiles: () => {
        answerNext();
        return ['unix[7]'];
      },
      postDump: () => {
        postDumpRan = true;
      },
    },
    answerAhead: (answer) => {
      answerNext = answer;
    },
  });
  assert.deepEqual(t.log, [
    'sent DUMP',
    'got query-ext-files',
    'sent NOTIFY true',
    'sent NOTIFY true',
    'got post-dump',
    'got DUMP',
  ]);
  assert.deepEqual(t.sent[1]?.opts?.external, ['unix[7]']);
  assert.equal(t.sent[2]?.opts, undefined);
  assert.equal(postDumpRan, true);
});

test('a hook returning false nacks, later notifications are nacked too, and the refusal is reported', async () => {
  const t = new ScriptedTransport([notify('pre-dump'), notify('post-dump'), done(false)]);
  let postDumpCalled = false;
  const result = await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: {
      preDump: () => false,
      postDump: () => {
        postDumpCalled = true;
      },
    },
  });
  assert.equal(result.response.success, false);
  assert.equal(result.refusal?.notification, 'pre-dump');
  assert.equal(postDumpCalled, false);
  assert.deepEqual(
    t.sent.slice(1).map((r) => r.notifySuccess),
    [false, false],
  );
});

test('a hook that throws nacks and keeps its error', async () => {
  const boom = new Error('boom');
  const t = new ScriptedTransport([notify('post-dump'), done(false)]);
  const result = await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: {
      postDump: () => {
        throw boom;
      },
    },
  });
  assert.equal(result.refusal?.error, boom);
  assert.equal(t.sent[1]?.notifySuccess, false);
});

test('a stop nacks the next notification and marks the result stopped', async () => {
  const t = new ScriptedTransport([notify('pre-dump'), done(false)]);
  const result = await exchange(t, dumpRequest(), { operation: 'checkpoint', stop: AbortSignal.abort() });
  assert.equal(result.stopped, true);
  assert.equal(t.sent[1]?.notifySuccess, false);
});

test('query-ext-files answers with the externals the hook returns', async () => {
  const t = new ScriptedTransport([notify('query-ext-files'), done()]);
  await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: { queryExtFiles: () => ['unix[123]', 'file[1a:2b]'] },
  });
  assert.deepEqual(t.sent[1]?.opts?.external, ['unix[123]', 'file[1a:2b]']);
  assert.equal(t.sent[1]?.notifySuccess, true);
});

test('fds received with a notification are given to the hook and closed afterwards', async () => {
  const fd = openSync('/dev/null', 'r');
  const t = new ScriptedTransport([{ ...notify('orphan-pts-master'), fds: [fd] }, done()]);
  let got: number[] = [];
  await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    hooks: {
      orphanPtsMaster: (c) => {
        got = [...c.fds];
      },
    },
  });
  assert.deepEqual(got, [fd]);
  assert.throws(() => openSync(`/proc/self/fd/${fd}`, 'r'), { code: 'ENOENT' });
});

test('an EMPTY reply (CRIU rejected the request) is a PROTOCOL error', async () => {
  const t = new ScriptedTransport([{ reply: { type: RequestType.EMPTY, success: false, crErrmsg: 'Invalid req' } }]);
  await assert.rejects(exchange(t, dumpRequest(), { operation: 'checkpoint' }), (e) => {
    assert.ok(isCriuError(e, 'PROTOCOL'));
    assert.match(e.message, /rejected the DUMP request as invalid \(Invalid req\)/);
    return true;
  });
});

test('a truncated packet is a PROTOCOL error', async () => {
  const whole = toBinary(
    ResponseSchema,
    create(ResponseSchema, { type: RequestType.DUMP, success: true, crErrmsg: 'some text' }),
  );
  const t = new ScriptedTransport([{ raw: whole.subarray(0, whole.length - 3) }]);
  await assert.rejects(exchange(t, dumpRequest(), { operation: 'checkpoint' }), (e) => {
    assert.ok(isCriuError(e, 'PROTOCOL'));
    assert.match(e.message, /undecodable/);
    return true;
  });
});

test('CRIU exiting mid-request is a PROTOCOL error naming the request', async () => {
  const t = new ScriptedTransport([notify('pre-dump'), { hangUp: true }]);
  await assert.rejects(
    exchange(t, dumpRequest(), { operation: 'checkpoint' }),
    /exited before answering the DUMP request/,
  );
});

test('a reply of another type is a PROTOCOL error', async () => {
  const t = new ScriptedTransport([{ reply: { type: RequestType.RESTORE, success: true } }]);
  await assert.rejects(exchange(t, dumpRequest(), { operation: 'checkpoint' }), /answered DUMP with a RESTORE reply/);
});

test('a stop while a hook hangs answers "stop" without waiting for the hook', async () => {
  const t = new ScriptedTransport([notify('post-dump'), done(false)]);
  const stopper = new AbortController();
  setTimeout(() => stopper.abort(), 20);
  const result = await exchange(t, dumpRequest(), {
    operation: 'checkpoint',
    stop: stopper.signal,
    hooks: { postDump: () => new Promise<void>(() => {}) },
  });
  assert.equal(result.stopped, true);
  assert.equal(t.sent[1]?.notifySuccess, false);
});
