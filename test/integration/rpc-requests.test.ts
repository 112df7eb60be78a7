// Every RPC request type against the real CRIU: version, checks, cpuinfo, page servers, pre-dump.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { criuClient } from '../../src/criu/runtime.js';
import { RequestType } from '../../src/gen/criu_rpc_pb.js';
import { check, isCriuError } from '../../src/index.js';
import { criuOptions } from '../../src/rpc/client.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { alive, killAll, readCount, scratchDir, startCounter, waitForCount, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

test('check() reports version >= 4.1, features and no problems', { skip }, async () => {
  const result = await check();
  assert.equal(result.backend, 'criu');
  assert.equal(result.usable, true);
  assert.deepEqual(result.problems, []);
  assert.match(result.version ?? '', /^(4\.([1-9]|\d\d)|[5-9]\.\d+)/);
  assert.ok(result.criuPath);
  // Measured on this project's machines: no soft-dirty tracking, uffd and pidfd present.
  assert.equal(typeof result.features?.memTrack, 'boolean');
  // Lazy restore is listed as unavailable exactly when CRIU's feature check finds no userfaultfd.
  assert.deepEqual(
    result.unavailable.map((u) => u.feature),
    result.features?.lazyPages ? [] : ['lazyPages'],
  );
});

test('check() on the simulator lists lazy restore as unavailable, with the fix', async () => {
  const result = await check({ backend: 'sim' });
  assert.equal(result.usable, true);
  const [lazy] = result.unavailable;
  assert.equal(lazy?.feature, 'lazyPages');
  assert.match(lazy?.fix ?? '', /backend 'criu'/);
});

test('VERSION and FEATURE_CHECK over RPC', { skip }, async () => {
  const client = await criuClient(undefined, 'version');
  const version = await client.version();
  assert.ok(version.majorNumber >= 4);
  const features = await client.featureCheck();
  assert.equal(typeof features.lazyPages, 'boolean');
});

test('PRE_DUMP and SINGLE_PRE_DUMP are refused with UNSUPPORTED when mem_track is false', { skip }, async (t) => {
  const client = await criuClient(undefined, 'pre-dump');
  const features = await client.featureCheck();
  if (features.memTrack) {
    t.diagnostic('this kernel tracks memory: the refusal path cannot be exercised here');
    return;
  }
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  for (const single of [false, true]) {
    await assert.rejects(
      client.preDump(criuOptions({ imagesDir: dir, pid: victim.pid }), {}, single),
      (e) => isCriuError(e, 'UNSUPPORTED') && /memory change tracking/.test(e.message),
    );
  }
  // The request was never sent: the target was not touched and keeps counting.
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
});

test('CPUINFO_DUMP writes cpuinfo.img and CPUINFO_CHECK accepts it on the same machine', { skip }, async () => {
  const client = await criuClient(undefined, 'cpuinfo-dump');
  const dir = scratchDir();
  await client.cpuinfoDump(criuOptions({ imagesDir: dir, logFile: 'cpuinfo.log', logLevel: 4 }));
  assert.ok(existsSync(join(dir, 'cpuinfo.img')));
  assert.equal(await client.cpuinfoCheck(criuOptions({ imagesDir: dir, logFile: 'cpuinfo-check.log' })), true);
});

test('PAGE_SERVER receives the pages of a dump sent to it', { skip }, async () => {
  const client = await criuClient(undefined, 'page-server');
  const pagesDir = scratchDir();
  const server = await client.pageServer(
    criuOptions({ imagesDir: pagesDir, logFile: 'ps.log', logLevel: 4, pageServer: { address: '127.0.0.1', port: 0 } }),
  );
  cleanup.push(server.pid);
  assert.ok(server.port > 0, 'the page server reports the port it listens on');
  assert.ok(alive(server.pid));

  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const { response } = await client.call(
    RequestType.DUMP,
    criuOptions({
      imagesDir: join(dir),
      pid: victim.pid,
      leaveRunning: true,
      logFile: 'dump.log',
      logLevel: 4,
      pageServer: { address: '127.0.0.1', port: server.port },
    }),
    { operation: 'checkpoint' },
  );
  assert.equal(response.success, true);
  assert.ok(
    readdirSync(pagesDir).some((f) => /^pages-\d+\.img$/.test(f)),
    'pages landed on the page server',
  );
  assert.ok(!readdirSync(dir).some((f) => /^pages-\d+\.img$/.test(f)), 'no pages written locally');
  await waitGone(server.pid); // the page server exits after serving one dump
});

test('PAGE_SERVER_CHLD then WAIT_PID on the same session reports its exit', { skip }, async () => {
  const client = await criuClient(undefined, 'page-server');
  const session = await client.session('page-server');
  try {
    const pagesDir = scratchDir();
    const server = await session.pageServerChild(
      criuOptions({ imagesDir: pagesDir, logFile: 'ps.log', pageServer: { address: '127.0.0.1', port: 0 } }),
    );
    cleanup.push(server.pid);
    assert.ok(alive(server.pid));
    process.kill(server.pid, 'SIGTERM');
    const status = await session.waitPid(server.pid);
    assert.equal(status & 0x7f, 15, 'wait status says SIGTERM');
  } finally {
    await session.close();
  }
});
