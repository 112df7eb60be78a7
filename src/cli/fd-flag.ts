// The restore command's `--fd [PID:]N=SUB`: the substitute a shell user means, or a usage error
// naming the keyword a misspelt one was probably meant to be (never a file of that name).
import { isAbsolute } from 'node:path';
import type { AbsolutePath } from '../fds/substitute-form.js';
import { FD_SUBSTITUTE_KEYWORDS, type FdSubstitute, nearestKeyword } from '../fds/substitute-form.js';
import { UsageError } from './usage-error.js';

/** One `--fd` flag: the task (undefined: the root), the fd and its substitute. */
export interface FdFlag {
  /** The task (`PID:`), or undefined for the root. */
  pid: number | undefined;
  /** The fd number (`N`). */
  fd: number;
  /** What it becomes (`SUB`). */
  substitute: FdSubstitute;
}

const FORMS = 'pipe|inherit|null|FD|PATH (absolute, or ./relative)';

/**
 * Parses `[PID:]N=SUB`. SUB is a keyword, an fd number of ours, an absolute path, or a path
 * relative to the current directory written explicitly relative (`./out.log`, `../out.log`), as
 * `{ path }`. Anything else is a UsageError: `--fd 1=pipee` must not create ./pipee.
 */
export function parseFdFlag(flag: string): FdFlag {
  const m = /^(?:(\d+):)?(\d+)=(.+)$/.exec(flag);
  if (!m?.[2] || !m[3]) throw new UsageError(`--fd takes [PID:]N=${FORMS}, got '${flag}'.`);
  return { pid: m[1] === undefined ? undefined : Number(m[1]), fd: Number(m[2]), substitute: substituteOf(m[3], flag) };
}

function substituteOf(text: string, flag: string): FdSubstitute {
  if ((FD_SUBSTITUTE_KEYWORDS as readonly string[]).includes(text)) return text as FdSubstitute;
  if (/^\d+$/.test(text)) return Number(text);
  if (isAbsolute(text)) return text as AbsolutePath;
  if (/^\.\.?\//.test(text)) return { path: text };
  const near = nearestKeyword(text);
  throw new UsageError(
    `--fd ${flag}: '${text}' is not ${FORMS}.${near === undefined ? '' : ` Did you mean '${near}'?`} A file in the current directory is written ./${text}.`,
  );
}

/** Every `--fd` flag as restore()'s `fds` table (the root's by fd, other tasks' by pid). */
export function fdTableOf(flags: readonly string[]): Record<number, FdSubstitute | Record<number, FdSubstitute>> {
  const fds: Record<number, FdSubstitute | Record<number, FdSubstitute>> = {};
  for (const { pid, fd, substitute } of flags.map(parseFdFlag)) {
    if (pid === undefined) fds[fd] = substitute;
    else fds[pid] = { ...(fds[pid] as Record<number, FdSubstitute> | undefined), [fd]: substitute };
  }
  return fds;
}
