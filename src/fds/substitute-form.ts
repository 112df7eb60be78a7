// The forms an fd substitute may take, checked before anything runs: a misspelt keyword must not
// quietly become a file of that name in the current directory.
import { isAbsolute, resolve } from 'node:path';
import { type Readable, Stream, type Writable } from 'node:stream';
import { closest } from '../did-you-mean.js';

/** The substitutes named by a word rather than a path (see {@link FdSubstitute}). */
export const FD_SUBSTITUTE_KEYWORDS = ['pipe', 'inherit', 'null'] as const;

/** `'pipe'`, `'inherit'` or `'null'`. */
export type FdSubstituteKeyword = (typeof FD_SUBSTITUTE_KEYWORDS)[number];

/**
 * A path given as a string: absolute, so that a misspelt keyword (`'pipee'`) is refused by the
 * type checker and at run time instead of creating `./pipee`.
 */
export type AbsolutePath = `/${string}`;

/**
 * A path in object form: any path, a relative one resolved against `process.cwd()` when the
 * restore opens it. The form for a path held in a `string` variable, which TypeScript cannot
 * know to be absolute.
 */
export interface PathSubstitute {
  /** The file: absolute, or relative to `process.cwd()` at restore. */
  readonly path: string;
}

/**
 * What an fd of the restored process becomes:
 * - `'pipe'`: a new pipe (socketpair for a socket, pty for a terminal) whose other end is
 *   exposed as a stream;
 * - `'inherit'`: this process's own fd with the same number;
 * - `'null'`: /dev/null, opened with the original access mode;
 * - a number: an fd of this process;
 * - an absolute path (`'/var/log/app.log'`) or `{ path }` (relative to `process.cwd()`): a file,
 *   opened with the original access mode (created 0600 if missing, appended to if written);
 * - a stream or socket that has an fd.
 *
 * Any other string is a TypeError naming the keyword it was probably meant to be.
 */
export type FdSubstitute = FdSubstituteKeyword | AbsolutePath | PathSubstitute | number | Readable | Writable;

/** `{ [fd]: sub }` for the root, or `{ [pid]: { [fd]: sub } }` for any task. */
export type FdSubstitutions = Readonly<Record<number, FdSubstitute | Readonly<Record<number, FdSubstitute>>>>;

/** The fd behind a Node stream or socket, if it has one. */
export function streamFd(stream: unknown): number | undefined {
  const s = stream as { fd?: unknown; _handle?: { fd?: unknown } } | null | undefined;
  const fd = typeof s?.fd === 'number' ? s.fd : s?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const isKeyword = (v: unknown): v is FdSubstituteKeyword => (FD_SUBSTITUTE_KEYWORDS as readonly unknown[]).includes(v);

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Whether `v` is meant as `{ path }` (a plain object with a `path` key, well-formed or not). */
const isPathSubstitute = (v: unknown): v is PathSubstitute => isPlainObject(v) && 'path' in v;

/** Whether `v` is a substitute (of any form, valid or not) rather than a pid's table. */
export const isSubstitute = (v: unknown): v is FdSubstitute =>
  typeof v === 'string' ||
  typeof v === 'number' ||
  isPathSubstitute(v) ||
  v instanceof Stream ||
  streamFd(v) !== undefined;

/** The file a substitute opens: /dev/null, its absolute path, or `{ path }` resolved now. */
export function substitutePath(sub: FdSubstitute): string | undefined {
  if (sub === 'null') return '/dev/null';
  if (typeof sub === 'string' && sub !== 'pipe' && sub !== 'inherit') return sub;
  return isPathSubstitute(sub) ? resolve(sub.path) : undefined;
}

/** Two substitutes for fds sharing one resource agree: the same value, or the same file. */
export function sameSubstitute(a: FdSubstitute, b: FdSubstitute): boolean {
  if (a === b) return true;
  const path = substitutePath(a);
  return path !== undefined && path === substitutePath(b);
}

/** The keyword nearest to a misspelt one, if any is near (two edits: 'none' -> 'null'). */
export const nearestKeyword = (word: string): FdSubstituteKeyword | undefined =>
  closest(word, FD_SUBSTITUTE_KEYWORDS, 2) as FdSubstituteKeyword | undefined;

const FORMS = "'pipe', 'inherit', 'null', an fd number, an absolute path, { path } or a stream with an fd";

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** TypeError unless `v` is a well-formed substitute; `name` says where it was given (`fds[1]`). */
function assertSubstituteForm(v: unknown, name: string): asserts v is FdSubstitute {
  if (typeof v === 'string') {
    if (isKeyword(v) || isAbsolute(v)) return;
    const near = nearestKeyword(v);
    const hint = near === undefined ? '' : ` Did you mean '${near}'?`;
    throw new TypeError(
      `Option '${name}' is '${v}', which is not an fd substitute.${hint} A string substitute is 'pipe', 'inherit', 'null' or an absolute path; a path relative to the current directory is given as { path: ${JSON.stringify(v)} }.`,
    );
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 2 ** 31 - 1) return;
    throw new RangeError(`Option '${name}' must be an fd number (an integer from 0), got ${v}.`);
  }
  if (isPathSubstitute(v)) {
    const extra = Object.keys(v).find((k) => k !== 'path');
    if (extra !== undefined) throw new TypeError(`Unknown option '${name}.${extra}': { path } takes only 'path'.`);
    if (typeof v.path !== 'string' || v.path.length === 0) {
      throw new TypeError(`Option '${name}.path' must be a non-empty string, got ${describe(v.path)}.`);
    }
    return;
  }
  if (v instanceof Stream || streamFd(v) !== undefined) return;
  throw new TypeError(`Option '${name}' must be ${FORMS}, got ${describe(v)}.`);
}

/**
 * TypeError unless `v` is an fds table: `{ [fd]: substitute }` and `{ [pid]: { [fd]: substitute } }`
 * entries. Which numbers are pids is known only against the checkpoint (the fd substitution's plan).
 */
export function assertFdSubstitutions(v: unknown, name: string): asserts v is FdSubstitutions {
  if (!isPlainObject(v))
    throw new TypeError(`Option '${name}' must be an object { [fd]: substitute }, got ${describe(v)}.`);
  for (const [key, entry] of Object.entries(v)) {
    const where = `${name}[${key}]`;
    if (!/^\d+$/.test(key)) throw new TypeError(`Option '${name}' key '${key}' must be an fd number or a pid.`);
    if (isPlainObject(entry) && !isPathSubstitute(entry)) {
      // A pid's own table; a misspelt { path } lands here too.
      for (const [fd, sub] of Object.entries(entry)) {
        if (!/^\d+$/.test(fd)) {
          const hint = closest(fd, ['path'], 2) === undefined ? '' : ` Did you mean { path }?`;
          throw new TypeError(
            `Option '${where}' key '${fd}' must be an fd number (a pid's table { [fd]: substitute }).${hint}`,
          );
        }
        assertSubstituteForm(sub, `${where}[${fd}]`);
      }
    } else {
      assertSubstituteForm(entry, where);
    }
  }
}
