// The warm-server showcase, shared by `npm run demo:warm`, bench case 9 and the integration test:
// a Node HTTP server that loads a few hundred modules is started in a pid namespace of its own,
// warmed up, checkpointed, and restored lazily as several copies at once (copies.mjs); and the
// ways to get a server answering (cold start, Node's startup snapshot, a restored copy), timed
// alike (startup-sides.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpoint } from '../../dist/src/index.js';
import { generateApp } from '../../test/fixtures/warm-server/generate.mjs';
import { request } from './http.mjs';
import { connectionsOf, serverPid, startCold } from './servers.mjs';

export * from './copies.mjs';
export * from './servers.mjs';
export * from './startup-sides.mjs';

export const MODULES = 300;
const WARM_UP_REQUESTS = 20;

/**
 * Writes the application (MODULES modules) into `dir` and, unless `snapshot` is false, builds
 * Node's startup snapshot of it with `node` (the modules' code run into the heap; the server
 * itself starts on deserialize).
 */
export function prepareApp(node, dir, { snapshot = true } = {}) {
  const app = generateApp(dir, MODULES);
  const blob = join(dir, 'snapshot.blob');
  if (!snapshot) return { ...app, dir, blob: undefined, snapshotBuildMs: undefined };
  const start = process.hrtime.bigint();
  // Node warns on stderr that snapshot support for some built-ins is not verified: expected.
  execFileSync(node, ['--snapshot-blob', blob, '--build-snapshot', app.entry], { cwd: dir, stdio: 'ignore' });
  return { ...app, dir, blob, snapshotBuildMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

/**
 * Starts the server cold, warms it up with a few requests, waits until their connections are
 * closed, and checkpoints it (node-criu's defaults: the server is killed once dumped, which frees
 * the port for the copies). Resolves with the checkpoint and the port the copies will listen on.
 */
export async function warmCheckpoint(node, app, imagesDir) {
  const server = await startCold(node, app);
  let cp;
  let pid;
  try {
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await request(server.port);
    pid = serverPid(server.child.pid);
    const deadline = Date.now() + 5000;
    while (connectionsOf(pid) > 0) {
      if (Date.now() > deadline) throw new Error(`the warmed-up server ${pid} still holds a TCP connection`);
      await sleep(5);
    }
    cp = await checkpoint(server.child.pid, { imagesDir });
  } catch (error) {
    // Not left running (it would keep the caller's process alive): the failure is reported alone.
    server.child.kill('SIGKILL');
    throw error;
  }
  await server.exited;
  return { checkpoint: cp, port: server.port, serverPid: pid };
}
