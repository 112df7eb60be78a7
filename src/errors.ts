// The one error family of node-criu: a stable `code`, the facts as properties, the cause kept.
import { constants } from 'node:os';

/** Stable error codes. Match on `err.code`, never on the message. */
export type CriuErrorCode =
  /** No CRIU binary was found (criuPath, CRIU_BIN, the project's .criu/, the per-user cache, PATH). */
  | 'CRIU_NOT_FOUND'
  /** The CRIU found is older than 4.1 or fails `criu check` on this kernel. */
  | 'CRIU_TOO_OLD'
  /** Not root and no CAP_CHECKPOINT_RESTORE/CAP_SYS_ADMIN, or CRIU was refused access. */
  | 'NOT_PERMITTED'
  /** The pid to checkpoint does not exist. */
  | 'NO_SUCH_PROCESS'
  /** A pid recorded in the images is held by another process. */
  | 'PID_IN_USE'
  /** CRIU's dump failed (the log's errors say why); the tree keeps running. */
  | 'DUMP_FAILED'
  /** CRIU's restore failed, or the restored tree could not be set up; nothing of it is left alive. */
  | 'RESTORE_FAILED'
  /** A request other than dump/restore (check, page server, cpuinfo, ...) failed. */
  | 'REQUEST_FAILED'
  /** CRIU sent something that is not a valid answer, or went away mid-request. */
  | 'PROTOCOL'
  /** The caller's AbortSignal fired, or a hook refused to continue. */
  | 'ABORTED'
  /** The operation's timeout elapsed. */
  | 'TIMEOUT'
  /** The kernel or CRIU lacks a feature the operation needs. */
  | 'UNSUPPORTED'
  /** The images dir is missing, not a checkpoint, or not usable for this operation. */
  | 'INVALID_IMAGES'
  /** An image file is malformed (bad magic, truncated entry, absurd length): see `file`/`offset`. */
  | 'IMAGE_CORRUPT'
  /** The images do not match their manifest (missing, truncated, altered or extra files). */
  | 'IMAGE_INTEGRITY'
  /** An fd substitution or leave-out names something the checkpoint lacks, or cannot work. */
  | 'INVALID_SUBSTITUTION'
  /** send() or disconnect() on a restored process whose IPC channel is closed (or that has none). */
  | 'CHANNEL_CLOSED'
  /** migrate(): the tree cannot move as it is, or the destination refused it; nothing was frozen. */
  | 'MIGRATION_REFUSED'
  /** migrate()/serve(): the move failed; the message says where the tree runs now (source resumed, or destination). */
  | 'MIGRATION_FAILED';

/** What was being done when an error happened (CriuError.operation): mostly a CRIU request's name. */
export type CriuOperation =
  | 'check'
  | 'version'
  | 'feature-check'
  | 'checkpoint'
  | 'pre-dump'
  | 'restore'
  | 'page-server'
  | 'cpuinfo-dump'
  | 'cpuinfo-check'
  | 'wait-pid'
  | 'read-images'
  | 'spawn'
  /** Removing a checkpoint (Checkpoint.remove). */
  | 'remove'
  /** Writing a checkpoint archive (exportCheckpoint). */
  | 'export'
  /** Reading a checkpoint archive into an images dir (importCheckpoint). */
  | 'import'
  /** A restored process's IPC channel (send, disconnect, reading its messages). */
  | 'ipc'
  /** The source side of a live migration (migrate()). */
  | 'migrate'
  /** The destination side of a live migration (serve()). */
  | 'serve';

/** The facts a CriuError is made with (see its properties). */
export interface CriuErrorDetails {
  /** What was being done. */
  operation: CriuOperation;
  /** The process concerned, if one is. */
  pid?: number | undefined;
  /** CRIU's cr_errno as a number (only ESRCH, EEXIST or EBADRQC are ever sent). */
  criuErrno?: number | undefined;
  /** Every `Error` line of CRIU's log, in order. */
  logErrors?: readonly string[] | undefined;
  /** CRIU's log of the operation. */
  logPath?: string | undefined;
  /** Default: whether `code` is TIMEOUT. */
  timedOut?: boolean | undefined;
  /** Default: whether `code` is ABORTED. */
  isCanceled?: boolean | undefined;
  /** For IMAGE_CORRUPT: the image file and the byte offset where decoding failed. */
  file?: string | undefined;
  /** See `file`. */
  offset?: number | undefined;
  /** The failure that caused this one, kept as the error's `cause`. */
  cause?: unknown;
}

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** Turns an errno number into its name (`3` -> `'ESRCH'`). */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `errno ${errno}`;
}

/**
 * node-criu's one error family, for every failure of an operation (invalid arguments are
 * TypeError/RangeError instead): a stable `code` to match on, the facts as properties, and a
 * message that says what happened, why (from CRIU's log) and what to do.
 */
export class CriuError extends Error {
  /** Always `'CriuError'`. */
  override readonly name = 'CriuError';
  /** What went wrong, stable across versions: match on it, never on the message. */
  readonly code: CriuErrorCode;
  /** What was being done (`'checkpoint'`, `'restore'`, `'ipc'`, ...). */
  readonly operation: CriuOperation;
  /** The process concerned (the pid to checkpoint, a pid in use, ...), if one is. */
  readonly pid: number | undefined;
  /** CRIU's cr_errno for the request, when CRIU sent one (only ESRCH, EEXIST or EBADRQC ever are). */
  readonly criuErrno: number | undefined;
  /** `criuErrno` as a name, e.g. `'ESRCH'`. */
  readonly criuErrnoName: string | undefined;
  /** Every `Error` line of CRIU's log, in order (empty when CRIU logged none or did not run). */
  readonly logErrors: readonly string[];
  /** CRIU's log of the operation, when there is one to read. */
  readonly logPath: string | undefined;
  /** True when the operation's `timeout` elapsed (code TIMEOUT). */
  readonly timedOut: boolean;
  /** True when the operation was aborted: its signal fired or a hook refused (code ABORTED). */
  readonly isCanceled: boolean;
  /** For IMAGE_CORRUPT and IMAGE_INTEGRITY: the image file concerned. */
  readonly file: string | undefined;
  /** For IMAGE_CORRUPT: the byte offset in `file` where decoding failed. */
  readonly offset: number | undefined;

  /** `details` gives the facts; `timedOut` and `isCanceled` default to whether `code` is TIMEOUT / ABORTED. */
  constructor(code: CriuErrorCode, message: string, details: CriuErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.operation = details.operation;
    this.pid = details.pid;
    this.criuErrno = details.criuErrno;
    this.criuErrnoName = details.criuErrno ? errnoName(details.criuErrno) : undefined;
    this.logErrors = details.logErrors ?? [];
    this.logPath = details.logPath;
    this.timedOut = details.timedOut ?? code === 'TIMEOUT';
    this.isCanceled = details.isCanceled ?? code === 'ABORTED';
    this.file = details.file;
    this.offset = details.offset;
  }
}

/** Whether `value` is a CriuError, and (with `code`) one of that code: a type guard for `catch` blocks. */
export function isCriuError(value: unknown, code?: CriuErrorCode): value is CriuError {
  return value instanceof CriuError && (code === undefined || value.code === code);
}
