// The one error family of node-criu: a stable `code`, the facts as properties, the cause kept.
import { constants } from 'node:os';

/** Stable error codes. Match on `err.code`, never on the message. */
export type CriuErrorCode =
  /** No CRIU binary was found (criuPath, CRIU_BIN, the project's .criu/, PATH). */
  | 'CRIU_NOT_FOUND'
  /** The CRIU found is older than 4.1 or fails `criu check` on this kernel. */
  | 'CRIU_TOO_OLD'
  /** Not root and no CAP_CHECKPOINT_RESTORE/CAP_SYS_ADMIN, or CRIU was refused access. */
  | 'NOT_PERMITTED'
  /** The pid to checkpoint does not exist. */
  | 'NO_SUCH_PROCESS'
  /** A pid recorded in the images is held by another process. */
  | 'PID_IN_USE'
  | 'DUMP_FAILED'
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
  | 'INVALID_SUBSTITUTION';

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
  | 'spawn';

export interface CriuErrorDetails {
  operation: CriuOperation;
  pid?: number | undefined;
  /** CRIU's cr_errno as a number (only ESRCH, EEXIST or EBADRQC are ever sent). */
  criuErrno?: number | undefined;
  /** Every `Error` line of CRIU's log, in order. */
  logErrors?: readonly string[] | undefined;
  logPath?: string | undefined;
  timedOut?: boolean | undefined;
  isCanceled?: boolean | undefined;
  /** For IMAGE_CORRUPT: the image file and the byte offset where decoding failed. */
  file?: string | undefined;
  offset?: number | undefined;
  cause?: unknown;
}

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** Turns an errno number into its name (`3` -> `'ESRCH'`). */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `errno ${errno}`;
}

export class CriuError extends Error {
  override readonly name = 'CriuError';
  readonly code: CriuErrorCode;
  readonly operation: CriuOperation;
  readonly pid: number | undefined;
  readonly criuErrno: number | undefined;
  /** `criuErrno` as a name, e.g. `'ESRCH'`. */
  readonly criuErrnoName: string | undefined;
  readonly logErrors: readonly string[];
  readonly logPath: string | undefined;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;
  readonly file: string | undefined;
  readonly offset: number | undefined;

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

export function isCriuError(value: unknown, code?: CriuErrorCode): value is CriuError {
  return value instanceof CriuError && (code === undefined || value.code === code);
}
