// checkpoint() in the simulator: the same checks as the CRIU backend, the tree frozen, CRIU-format
// images and the manifest written, then the tree killed or resumed.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withRemoval } from '../checkpoint-removal.js';
import { discardImages, prepareImagesDir } from '../criu/images-dir.js';
import { CriuError } from '../errors.js';
import { assertAdviceMatches, assertDumpable, externalsFor, leaveOutRule } from '../fds/leave-out.js';
import { assertMappingAdviceMatches } from '../fds/proc-maps.js';
import { readProcessTree } from '../images/pstree.js';
import { readDumpStats } from '../images/stats.js';
import { recordedDumpOptions, recordManifest } from '../integrity/record.js';
import { restoreNeeds } from '../restore-needs.js';
import type { Checkpoint, CheckpointOptions } from '../types.js';
import { plainRows, simFdTable } from './fd-rows.js';
import { OperationGuard } from './guard.js';
import { type SimWorld, simWorld } from './world.js';
import { writeDumpStats, writeTreeImages } from './write-images.js';

const LOG_FILE = 'dump.log';

export async function simCheckpoint(
  pid: number,
  options: CheckpointOptions,
  world: SimWorld = simWorld(),
): Promise<Checkpoint> {
  const root = world.get(pid);
  if (!root || root.state === 'exited') {
    throw new CriuError('NO_SUCH_PROCESS', `Cannot checkpoint pid ${pid}: no such process.`, {
      operation: 'checkpoint',
      pid,
    });
  }
  if (options.sysv?.leaveOutContents !== undefined) {
    // As on CRIU for a tree in this process's namespace: simulated processes all share one.
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `sysv.leaveOutContents applies to a tree in an IPC namespace of its own, which the simulator does not model (capability 'sysv-ipc-ns'); pid ${pid} shares the simulator's one.`,
      { operation: 'checkpoint', pid },
    );
  }
  if (options.parent !== undefined) {
    throw new CriuError(
      'UNSUPPORTED',
      "The simulator's checkpoints hold no page data to share with a parent: 'parent' needs backend 'criu'.",
      { operation: 'checkpoint', pid },
    );
  }
  const tree = world.tree(pid);
  const rule = leaveOutRule(pid, options.leaveOut);
  let rows = simFdTable(tree, rule);
  // The simulator's processes map no shared files: advice naming one names nothing.
  assertMappingAdviceMatches(options.leaveOutMappings, []);
  assertDumpable(rows);
  assertAdviceMatches(pid, options.leaveOut, rows);
  externalsFor(rows);
  const unsupported = rows.find((r) => r.type !== 'file' && r.type !== 'pipe' && r.type !== 'unix');
  if (unsupported) {
    throw new CriuError(
      'UNSUPPORTED',
      `fd ${unsupported.fd} of pid ${unsupported.pid} is a ${unsupported.type}, which the simulator cannot checkpoint (see docs/simulator.md).`,
      { operation: 'checkpoint', pid: unsupported.pid },
    );
  }
  const guard = new OperationGuard({ operation: 'checkpoint', pid, ...options });
  const { path: imagesDir, created } = await prepareImagesDir(options.imagesDir);
  const logPath = join(imagesDir, LOG_FILE);
  const log: string[] = [`sim: dump of pid ${pid} (${tree.length} tasks) into ${imagesDir}`];
  const wasStopped = new Set(tree.filter((t) => t.state === 'stopped').map((t) => t.pid));
  const started = process.hrtime.bigint();
  const micros = (from: bigint) => Number((process.hrtime.bigint() - from) / 1000n);
  try {
    await guard.notify('pre-dump', pid);
    for (const task of tree) task.stop();
    const frozen = process.hrtime.bigint();
    const freezingUs = micros(started);
    // Read again with the tree frozen: exactly what gets dumped.
    rows = simFdTable(tree, rule);
    await guard.notify('query-ext-files', pid);
    const memdump = process.hrtime.bigint();
    const written = await writeTreeImages(imagesDir, tree, rows, wasStopped);
    guard.check();
    await writeDumpStats(imagesDir, written, { freezingUs, frozenUs: micros(frozen), memdumpUs: micros(memdump) });
    await guard.notify('post-dump', pid);
    log.push(`sim: ${written.pagesWritten} of ${written.pagesScanned} pages written`);
  } catch (error) {
    // Rolled back: the tree runs on as it was, and nothing restorable is left behind.
    for (const task of tree) if (!wasStopped.has(task.pid)) task.resume();
    log.push(`Error: ${(error as Error).message}`);
    await writeFile(logPath, `${log.join('\n')}\n`).catch(() => {});
    await discardImages(imagesDir, LOG_FILE);
    throw error instanceof CriuError
      ? error
      : new CriuError('DUMP_FAILED', `The simulator could not dump pid ${pid}: ${String(error)}`, {
          operation: 'checkpoint',
          pid,
          cause: error,
        });
  } finally {
    guard.dispose();
  }
  const leftRunning = options.leaveRunning ?? false;
  if (leftRunning) {
    for (const task of tree) if (!wasStopped.has(task.pid)) task.resume();
  } else {
    for (const task of [...tree].reverse()) task.kill('SIGKILL');
  }
  log.push(leftRunning ? 'sim: tree left running' : 'sim: tree killed');
  await writeFile(logPath, `${log.join('\n')}\n`, { mode: 0o600 });
  const fds = plainRows(rows);
  const pids = tree.map((t) => t.pid);
  await recordManifest(imagesDir, {
    backend: 'sim',
    criuVersion: undefined,
    pid,
    pids,
    leftRunning,
    dumpOptions: recordedDumpOptions(options),
    fds,
    mappings: [],
    digest: options.digest ?? true,
  });
  const result = {
    imagesDir,
    pid,
    pids,
    tree: await readProcessTree(imagesDir),
    leftRunning,
    fds,
    mappings: [],
    needs: restoreNeeds(pid, fds, []),
    stats: await readDumpStats(imagesDir),
    logPath,
  };
  return withRemoval(result, imagesDir, created);
}
