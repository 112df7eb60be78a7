// node-criu's public API: check, checkpoint and restore, with options validated up front and
// the backend (real CRIU or the simulator) chosen by the `backend` option or NODE_CRIU_BACKEND.
import { existsSync } from 'node:fs';
import type { Backend } from './backend.js';
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './backend-choice.js';
import { criuBackend } from './criu/backend.js';
import { CriuError } from './errors.js';
import { readManifest } from './integrity/manifest.js';
import { validateCheckOptions, validateCheckpointOptions, validatePid, validateRestoreOptions } from './options.js';
import { simBackend } from './sim/backend.js';
import { simWorld } from './sim/world.js';
import type {
  BackendSelection,
  CheckOptions,
  Checkpoint,
  CheckpointOptions,
  CheckResult,
  RestoredProcess,
  RestoreOptions,
} from './types.js';

// Checkpoint archives (their TSDoc is in src/archive/).
export type { ArchiveCompression } from './archive/compression.js';
export { type ExportOptions, type ExportResult, exportCheckpoint } from './archive/export.js';
export { type ImportOptions, type ImportResult, importCheckpoint } from './archive/import.js';
export { type Backend, CAPABILITIES, type Capability, type CheckpointRead, capabilitiesOf } from './backend.js';
export type { BackendChoice, BackendName } from './backend-choice.js';
export { CriuError, type CriuErrorCode, type CriuOperation, errnoName, isCriuError } from './errors.js';
export { formatFdTable, readFdTable } from './fds/fd-table.js';
export { type DecodedImage, decodeImage, encodeImage, ImageEntry, readImage, writeImage } from './images/codec.js';
export { type CheckpointView, fdTableFromImages, inspect } from './inspect/index.js';
export { MANIFEST_NAME, type Manifest } from './integrity/manifest.js';
export { type VerifyResult, verifyImages } from './integrity/verify.js';
export { type CheckpointableForkOptions, fork } from './launch/fork.js';
export type { LaunchOptions, SpawnNamespace } from './launch/launch-options.js';
export { type CheckpointableSpawnOptions, spawn } from './launch/spawn.js';
export { type Endpoint, formatEndpoint, parseEndpoint } from './migrate/address.js';
export { migrate } from './migrate/migrate.js';
export { serve } from './migrate/serve.js';
export type * from './migrate/types.js';
export { type FileRelaxation, relaxFiles } from './rewrite/file-edits.js';
export { renumberPids } from './rewrite/pid-edits.js';
export { ImageSet, type RewriteResult, rewriteImages } from './rewrite/rewrite.js';
export { renumberShm } from './rewrite/sysv-edits.js';
export { CriuRpcClient } from './rpc/client.js';
export { NOTIFICATIONS } from './rpc/hooks.js';
export { RpcSession } from './rpc/session.js';
export * as sim from './sim/index.js';
export { detachSegments, reattachSegments } from './sysv/host-detach.js';
export { readMsgQueues, readSemSets, readShmSegments } from './sysv/ipc-table.js';
export { snapshotSysv } from './sysv/snapshot.js';
export { planShmSubstitutes } from './sysv/substitutes.js';
export type * from './types.js';

/** check()'s result: `selection` is always set. */
export type BackendCheckResult = CheckResult & { selection: BackendSelection };

const backends: Record<BackendName, Backend> = { criu: criuBackend, sim: simBackend };

function parseChoice(value: unknown, from: string): BackendChoice {
  if (typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value))
    return value as BackendChoice;
  const choices = BACKEND_CHOICES.map((c) => `'${c}'`).join(', ');
  throw new TypeError(`${from} must be one of ${choices}, got ${JSON.stringify(value)}.`);
}

function defaultChoice(): BackendChoice {
  const env = process.env.NODE_CRIU_BACKEND;
  return env === undefined || env === '' ? 'auto' : parseChoice(env, 'NODE_CRIU_BACKEND');
}

/** Takes `backend` off an options object before the rest is validated. */
function takeBackend<T>(options: T): [BackendChoice, T] {
  if (typeof options !== 'object' || options === null || !('backend' in options)) return [defaultChoice(), options];
  const { backend, ...rest } = options as T & { backend: unknown };
  return [backend === undefined ? defaultChoice() : parseChoice(backend, "Option 'backend'"), rest as T];
}

/**
 * CRIU's check for 'auto', kept once it found CRIU usable (it runs CRIU). A failed check is never
 * kept: CRIU killed, out of memory or just installed must not decide every later operation.
 */
let criuUsable: Promise<CheckResult> | undefined;
async function criuCheck(criuPath: string | undefined): Promise<CheckResult> {
  if (criuPath !== undefined) return criuBackend.check({ criuPath });
  const pending = criuUsable ?? criuBackend.check({});
  criuUsable = pending;
  const result = await pending.catch((error: unknown) => {
    if (criuUsable === pending) criuUsable = undefined;
    throw error;
  });
  if (!result.usable && criuUsable === pending) criuUsable = undefined;
  return result;
}

type Selected = BackendSelection & { criuResult?: CheckResult };

/** CRIU could not be used for something only CRIU can do: its first problem, as the error. */
function criuProblem(result: CheckResult, operation: 'checkpoint' | 'restore', what: string): CriuError {
  const first = result.problems[0];
  const problems = result.problems.map((p) => `${p.message} Fix: ${p.fix}`).join(' ');
  return new CriuError(
    first?.code ?? 'CRIU_NOT_FOUND',
    `Cannot ${operation} ${what}: CRIU is not usable here. ${problems || 'CRIU reported no reason.'}`,
    { operation },
  );
}

/**
 * The backend for `requested`. 'criu' where it cannot work at all is an UNSUPPORTED error.
 * 'auto' picks the simulator only for what is the simulator's (`owner` 'sim': its pid or its
 * checkpoint) or where CRIU can never work (not Linux); everything else is CRIU's, and when CRIU
 * is unusable, a checkpoint or restore of `what` (a real pid or checkpoint) fails with the
 * check's own problem; a check just reports it.
 */
async function choose(
  requested: BackendChoice,
  criuPath: string | undefined,
  owner: BackendName | undefined,
  operation: 'check' | 'checkpoint' | 'restore',
  what = '',
): Promise<Selected> {
  if (requested === 'sim') return { requested, chosen: 'sim', reason: 'the simulator was asked for' };
  if (requested === 'criu') {
    if (process.platform !== 'linux') {
      throw new CriuError(
        'UNSUPPORTED',
        `Backend 'criu' was asked for, but CRIU needs Linux and this is ${process.platform}. Use backend 'sim' (or NODE_CRIU_BACKEND=sim).`,
        { operation },
      );
    }
    return { requested, chosen: 'criu', reason: 'real CRIU was asked for' };
  }
  if (owner === 'sim') return { requested, chosen: 'sim', reason: 'the simulator owns this checkpoint or pid' };
  if (process.platform !== 'linux') {
    return { requested, chosen: 'sim', reason: `CRIU needs Linux and this is ${process.platform}` };
  }
  const criuResult = await criuCheck(criuPath);
  if (criuResult.usable) {
    return { requested, chosen: 'criu', reason: `CRIU ${criuResult.version} is usable here`, criuResult };
  }
  if (operation !== 'check') throw criuProblem(criuResult, operation, what);
  const why = criuResult.problems.map((p) => p.message).join('; ') || 'no reason given';
  return { requested, chosen: 'criu', reason: `CRIU is not usable here: ${why}`, criuResult };
}

/**
 * The backend an operation would use with `choice` (default: NODE_CRIU_BACKEND, else 'auto'),
 * and why. 'auto' runs CRIU's check until it finds CRIU usable, then keeps that answer.
 */
export async function selectBackend(
  choice?: BackendChoice,
  options: { criuPath?: string } = {},
): Promise<{ backend: Backend } & BackendSelection> {
  const requested = choice === undefined ? defaultChoice() : parseChoice(choice, "Option 'backend'");
  const { criuResult: _, ...selection } = await choose(requested, options.criuPath, undefined, 'check');
  return { backend: backends[selection.chosen], ...selection };
}

/**
 * Tells whether checkpoint/restore can work here, on which backend and why (`backend`,
 * `selection`): for CRIU the binary found, its version and optional features, and every problem
 * with what to do about it. Never throws for a problem.
 */
export async function check(options?: CheckOptions): Promise<BackendCheckResult> {
  const [requested, rest] = takeBackend(options);
  const valid = validateCheckOptions(rest);
  let selected: Selected;
  try {
    selected = await choose(requested, valid.criuPath, undefined, 'check');
  } catch (error) {
    if (!(error instanceof CriuError)) throw error;
    return {
      backend: 'criu',
      usable: false,
      version: undefined,
      criuPath: undefined,
      features: undefined,
      problems: [{ code: error.code, message: error.message, fix: "Use backend 'sim' here." }],
      unavailable: [],
      selection: { requested, chosen: 'criu', reason: 'real CRIU was asked for' },
    };
  }
  const { criuResult, ...selection } = selected;
  const result =
    selection.chosen === 'criu' ? (criuResult ?? (await criuBackend.check(valid))) : await simBackend.check(valid);
  return { ...result, selection };
}

/**
 * Checkpoints the process tree rooted at `pid` into an images dir.
 * Without `leaveRunning` the tree is killed once dumped, as with `criu dump`.
 * @throws {TypeError|RangeError} for invalid arguments, {@link CriuError} for failures.
 */
export async function checkpoint(pid: number, options?: CheckpointOptions): Promise<Checkpoint> {
  validatePid(pid);
  const [requested, rest] = takeBackend(options);
  const valid = validateCheckpointOptions(rest);
  // With 'auto', a pid only the simulator has is the simulator's; one in /proc never is.
  const real = process.platform === 'linux' && existsSync(`/proc/${pid}`);
  const simOnly = !real && simWorld().get(pid) !== undefined;
  if (requested === 'auto' && !real && !simOnly && process.platform === 'linux') {
    throw new CriuError('NO_SUCH_PROCESS', `Cannot checkpoint pid ${pid}: no such process.`, {
      operation: 'checkpoint',
      pid,
    });
  }
  const { chosen } = await choose(requested, valid.criuPath, simOnly ? 'sim' : undefined, 'checkpoint', `pid ${pid}`);
  return backends[chosen].checkpoint(pid, valid);
}

/**
 * Restores the checkpoint in `imagesDir`; the restored root becomes a child of this process and
 * is reaped when it exits (`exited`). Waits (bounded) for the image's pids to be free. With
 * 'auto', a checkpoint is restored by the backend that wrote it.
 * @throws {TypeError|RangeError} for invalid arguments, {@link CriuError} for failures.
 */
export async function restore(imagesDir: string, options?: RestoreOptions): Promise<RestoredProcess> {
  if (typeof imagesDir !== 'string' || imagesDir.length === 0)
    throw new TypeError('imagesDir must be a non-empty string.');
  const [requested, rest] = takeBackend(options);
  const valid = validateRestoreOptions(rest);
  // Read once: the backend is given it. A malformed one is left for the backend to report.
  const read = await readManifest(imagesDir).then(
    (manifest) => ({ manifest }),
    () => undefined,
  );
  const writer = read?.manifest?.backend;
  if (requested === 'criu' && writer === 'sim') {
    throw new CriuError(
      'INVALID_IMAGES',
      `${imagesDir} was written by the simulator: real CRIU cannot restore it. Restore it with backend 'sim'.`,
      { operation: 'restore' },
    );
  }
  const { chosen } = await choose(requested, valid.criuPath, writer, 'restore', imagesDir);
  return backends[chosen].restore(imagesDir, valid, read);
}
