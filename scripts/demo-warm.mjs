#!/usr/bin/env node
// npm run demo:warm: a Node 24 HTTP server that loads a few hundred modules, started in a pid
// namespace of its own, warmed up, checkpointed, then restored lazily as 4 copies at once that all
// answer on the same port; and the time to a first HTTP answer of a restored copy beside a cold
// start and Node's own startup snapshot, measured side by side. Needs root and CRIU (npm run setup).
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check } from '../dist/src/index.js';
import { alternate } from './bench/ab.mjs';
import { provisionNode } from './provision-node.mjs';
import * as warm from './warm/showcase.mjs';

const COPIES = 4;
// RUNS=1 (as the test runs it) shows the table once; the default gives medians worth reading.
const ROUNDS = Math.max(1, Number(process.env.RUNS ?? 5));
const say = (msg) => console.log(`demo:warm: ${msg}`);

const status = await check({ backend: 'criu' });
if (!status.usable) {
  for (const p of status.problems) console.error(`demo:warm: [${p.code}] ${p.message}\n      fix: ${p.fix}`);
  process.exit(1);
}
const node = provisionNode({ major: 24, log: (m) => say(m) });
// Images in memory where there is a tmpfs, so the disk never decides a number.
const base = statfsSync('/dev/shm', { throwIfNoEntry: false }) ? '/dev/shm' : tmpdir();
const work = mkdtempSync(join(base, 'node-criu-warm-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const app = warm.prepareApp(node, join(work, 'app'));
say(`Node ${node}: ${warm.MODULES} modules written; startup snapshot built in ${app.snapshotBuildMs.toFixed(0)} ms`);
const warmed = await warm.warmCheckpoint(node, app, join(work, 'images'));
const cp = warmed.checkpoint;
say(
  `server warmed up on 127.0.0.1:${warmed.port} and checkpointed (frozen ${(cp.stats.frozenTimeUs / 1000).toFixed(1)} ms, ${cp.stats.pagesWritten} pages); the original was killed`,
);

const t0 = process.hrtime.bigint();
const copies = await warm.restoreCopies(cp.imagesDir, COPIES);
say(`${COPIES} lazy copies restored at once in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
const answers = await warm.answersByCopy(warmed.port, copies);
const draws = await warm.randomDraws(copies);
console.log('');
console.log('| copy | host pid | pid inside | token (drawn after restore) | answers on :port | Math.random() |');
console.log('|---|---|---|---|---|---|');
for (const [i, c] of copies.entries()) {
  const got = answers.get(c.copy) ?? [];
  console.log(
    `| ${c.copy} | ${c.handle.pid} | ${got[0]?.pid ?? '-'} | ${c.token} | ${got.length} | ${draws[i]?.math} |`,
  );
}
const same = (key) => new Set(draws.map((d) => d[key])).size === 1;
console.log('');
say(
  `all ${COPIES} copies share 127.0.0.1:${warmed.port} (SO_REUSEPORT, restored by CRIU); each answered on it and on its own stdout pipe`,
);
say(
  `copied random state: Math.random() ${same('math') ? 'SAME' : 'differs'} in every copy, crypto.randomUUID() ${same('uuid') ? 'SAME' : 'differs'}, crypto.randomBytes() ${same('bytes') ? 'SAME' : 'differs'}: re-seed (here: a token from /dev/urandom) after restore`,
);
await warm.endCopies(copies);
const left = warm.ourCriuProcesses();
say(left.length === 0 ? 'copies ended; no criu process left' : `criu processes LEFT: ${left.join(', ')}`);

say(`time to first HTTP answer, ${ROUNDS} alternating rounds each:`);
const r = await alternate(ROUNDS, {
  ...warm.startupSides(node, app, cp.imagesDir, warmed.port),
  copies: warm.copiesSide(cp.imagesDir, warmed.port, COPIES),
});
const rows = [
  ['cold start: node server.mjs', r.cold],
  [`Node startup snapshot (modules preloaded, server started on deserialize)`, r.snapshot],
  ['node-criu: restore(lazyPages) of the warm checkpoint', r.restored],
  [`node-criu: ${COPIES} lazy copies at once, until each answered`, r.copies],
];
console.log('');
console.log('| start | median ms | min | max | vs cold |');
console.log('|---|---|---|---|---|');
for (const [name, s] of rows) {
  console.log(
    `| ${name} | ${s.median.toFixed(1)} | ${s.min.toFixed(1)} | ${s.max.toFixed(1)} | ${(s.median / r.cold.median).toFixed(2)}x |`,
  );
}
console.log('');
const leftAfter = warm.ourCriuProcesses();
if (left.length > 0 || leftAfter.length > 0) process.exit(1);
say('done');
