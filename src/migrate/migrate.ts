// migrate(): live migration's source side. The tree is dumped with lazy pages; at post-dump (tree
// frozen, images written) the images go to the destination with `start`; CRIU then serves the
// pages from the frozen tree through a relay of ours until the destination has them all, and
// kills the tree. Before the destination says `running`, every failure resets CRIU's page socket:
// CRIU rolls the dump back and the tree resumes here.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { criuCheckpoint } from '../criu/checkpoint.js';
import { assertCheckpointable } from '../criu/checkpoint-target.js';
import { startTime } from '../criu/pids.js';
import { CriuError } from '../errors.js';
import { treePids } from '../fds/proc-fds.js';
import { checkpointRoot } from '../launch/namespace-init.js';
import { validateMigrateOptions, validatePid } from '../options.js';
import type { Checkpoint } from '../types.js';
import { formatEndpoint } from './address.js';
import { connectTo, freeLoopbackPort } from './connect.js';
import { FrameReader, messageFrame } from './frames.js';
import { sendImages } from './images-transfer.js';
import { whatStaysBehind } from './movable.js';
import { type PageRelay, relayPages } from './page-relay.js';
import { assertCanServePages } from './preflight.js';
import { expect, type Hello, type Loaded, nextMessage, PROTOCOL_VERSION } from './protocol.js';
import type { MigrateOptions, MigrationReport } from './types.js';
import { Verdict } from './verdict.js';

const DEFAULT_TIMEOUT_MS = 60_000;
/** How long the destination's last report (`loaded`) is waited for once the source is done. */
const LOADED_WAIT_MS = 10_000;

/**
 * Moves the process tree of `pid` to the destination's serve() at `options.to`, post-copy: it
 * runs there as soon as its non-page images are in, and its memory follows on demand and in the
 * background from the source, frozen until the destination has every page, then ended.
 *
 * Before anything is frozen: fds whose other ends stay here are listed (refused unless
 * `leftBehind: 'replace'`), and the destination may refuse (MIGRATION_REFUSED). A failure before
 * the tree runs at the destination resumes it here (MIGRATION_FAILED, CRIU's rollback).
 * @throws {TypeError|RangeError} for invalid arguments, {@link CriuError} for failures.
 */
export async function migrate(pid: number, options: MigrateOptions): Promise<MigrationReport> {
  validatePid(pid);
  const valid = validateMigrateOptions(options);
  const timeout = valid.timeout ?? DEFAULT_TIMEOUT_MS;
  const root = await checkpointRoot(pid);
  await assertCheckpointable(root);
  await assertCanServePages(root);
  const needs = await whatStaysBehind(root, valid);
  const to = formatEndpoint(valid.to);
  const refused = (why: string, cause?: unknown) =>
    new CriuError('MIGRATION_REFUSED', `${to} did not take pid ${root}: ${why}. Nothing was frozen.`, {
      operation: 'migrate',
      pid: root,
      cause,
    });
  let control: Socket;
  try {
    control = await connectTo(valid.to, timeout);
  } catch (error) {
    throw refused(`${(error as Error).message} (is serve() listening there?)`, error);
  }
  const sockets: Socket[] = [control];
  const reader = new FrameReader(control);
  const verdict = new Verdict();
  const deadline = setTimeout(
    () => verdict.fail(new Error(`the tree did not run at ${to} within ${timeout} ms`)),
    timeout,
  );
  const onAbort = () => verdict.fail(new Error('migrate() was aborted'));
  valid.signal?.addEventListener('abort', onAbort, { once: true });
  let relay: PageRelay | undefined;
  let frozen = new Map<number, string | undefined>();
  try {
    let id: string;
    let pages: Socket;
    try {
      control.write(messageFrame({ type: 'hello', protocol: PROTOCOL_VERSION, pid: root, needs } satisfies Hello));
      id = expect(await nextMessage(reader), 'accept').id;
      pages = await connectTo(valid.to, timeout);
      sockets.push(pages);
      pages.write(messageFrame({ type: 'pages', protocol: PROTOCOL_VERSION, id }));
    } catch (error) {
      if (error instanceof CriuError) throw error;
      throw refused((error as Error).message, error);
    }
    if (valid.signal?.aborted) throw refused('migrate() was aborted');
    // Until the relay starts, a failure of the page connection is noticed by the verdict alone.
    pages.on('error', (error) => verdict.fail(error));
    const loaded = watchControl(reader, verdict);
    const port = await freeLoopbackPort();
    let frozenAt = 0;
    let imageBytes = 0;
    // A private dir of ours: removed with the images once the tree has moved; on a failure it
    // keeps CRIU's dump.log, which the error names.
    const ownDir = valid.imagesDir === undefined ? await mkdtemp(join(tmpdir(), 'node-criu-migrate-')) : undefined;
    const imagesDir = valid.imagesDir ?? join(ownDir as string, 'images');
    let checkpoint: Checkpoint;
    try {
      checkpoint = await criuCheckpoint(
        root,
        {
          imagesDir,
          ...(valid.leaveOut === undefined ? {} : { leaveOut: valid.leaveOut }),
          shellJob: valid.shellJob ?? false,
          external: [...(valid.external ?? [])],
          ...(valid.logLevel === undefined ? {} : { logLevel: valid.logLevel }),
          ...(valid.criuPath === undefined ? {} : { criuPath: valid.criuPath }),
          hooks: {
            // Just before CRIU freezes the tree: downtime counts from here.
            preDump: () => {
              frozenAt = performance.now();
            },
            queryExtFiles: async () => {
              const pids = await treePids(root);
              frozen = new Map(pids.map((p) => [p, startTime(p)]));
              return undefined;
            },
          },
        },
        {
          criu: { lazyPages: true, pageServer: { port } },
          treeIsDone: () => verdict.running !== undefined,
          recorded: async (cp) => {
            verdict.check();
            // A destination that stops reading must not keep the tree frozen past the deadline.
            imageBytes = await verdict.unlessFailed(sendImages(control, cp.imagesDir));
            verdict.check();
            control.write(messageFrame({ type: 'start', frozenMs: performance.now() - frozenAt }));
          },
          hooks: {
            // CRIU's page server listens (it accepts one connection): ours, relayed to the destination.
            statusReady: async () => {
              verdict.check();
              const local = await connectTo({ host: '127.0.0.1', port }, 5000);
              sockets.push(local);
              relay = relayPages(local, pages, verdict.committed);
              verdict.committed.then((yes) => {
                if (!yes) relay?.reset();
              });
            },
          },
        },
      );
    } catch (error) {
      if (verdict.running) {
        // CRIU failed after the tree ran at the destination: CRIU resumed it here; one copy only.
        killFrozen(frozen);
        throw new CriuError(
          'MIGRATION_FAILED',
          `The tree of pid ${root} runs at ${to} (pid ${verdict.running.pid}), but serving its pages failed: ${(error as Error).message}. The source was ended; the destination's tree may lack pages.`,
          { operation: 'migrate', pid: root, cause: error },
        );
      }
      const why = verdict.failure ?? error;
      verdict.fail(error as Error);
      throw new CriuError(
        'MIGRATION_FAILED',
        `The migration of pid ${root} to ${to} failed before the tree ran there (${(why as Error).message}); it runs on here.`,
        {
          operation: 'migrate',
          pid: root,
          cause: why,
          logPath: error instanceof CriuError ? error.logPath : undefined,
        },
      );
    }
    const running = verdict.running;
    if (!running) throw new Error('the dump succeeded without the destination running the tree');
    const stats = await Promise.race([
      loaded,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), LOADED_WAIT_MS).unref()),
    ]);
    await checkpoint.remove();
    if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
    for (const socket of sockets) socket.end();
    await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
    return {
      pid: running.pid,
      sourcePid: root,
      downtimeMs: running.downtimeMs,
      bytesMoved: sockets.reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0) - localBytes(sockets),
      imageBytes,
      pages: stats?.pages,
    };
  } finally {
    clearTimeout(deadline);
    valid.signal?.removeEventListener('abort', onAbort);
    for (const socket of sockets) socket.destroy();
  }
}

/** The loopback connection to CRIU is counted by its remote twin already. */
function localBytes(sockets: readonly Socket[]): number {
  return sockets.slice(2).reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0);
}

/** Reads the destination's reports; resolves with `loaded` (or undefined if the connection ends first). */
async function watchControl(reader: FrameReader, verdict: Verdict): Promise<Loaded | undefined> {
  try {
    for (;;) {
      const message = await nextMessage(reader);
      if (message.type === 'running') verdict.run(message);
      else if (message.type === 'loaded') return message;
      else if (message.type === 'abort' || message.type === 'refuse') verdict.fail(new Error(message.message));
      else throw new Error(`the destination sent '${message.type}'`);
    }
  } catch (error) {
    verdict.fail(new Error(`the destination went away (${(error as Error).message})`));
    return undefined;
  }
}

/** Ends the processes CRIU had frozen, never one that took a pid since. */
function killFrozen(tree: ReadonlyMap<number, string | undefined>): void {
  for (const [pid, started] of tree) {
    if (started === undefined || startTime(pid) !== started) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
