// Validates every option of every operation in one place, catching misspellings early.
import { didYouMean } from './did-you-mean.js';
import { OUTSIDE_FDS_MODES } from './fds/outside-defaults.js';
import { assertFdSubstitutions } from './fds/substitute-form.js';
import { assertEndpoint } from './migrate/address.js';
import type { MigrateOptions, ServeOptions } from './migrate/types.js';
import type { CheckOptions, CheckpointOptions, RestoreOptions } from './types.js';

type Check = (value: unknown, name: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError(`Option '${name}' must be ${expected}, got ${value === null ? 'null' : typeof value}.`);
}

const boolean: Check = (v, n) => {
  if (typeof v !== 'boolean') fail(n, 'a boolean', v);
};
const string: Check = (v, n) => {
  if (typeof v !== 'string' || v.length === 0) fail(n, 'a non-empty string', v);
};
const stringList: Check = (v, n) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0)) {
    fail(n, 'an array of non-empty strings', v);
  }
};
function integer(min: number, max: number): Check {
  return (v, n) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(n, 'an integer', v);
    if (v < min || v > max) throw new RangeError(`Option '${n}' must be between ${min} and ${max}, got ${v}.`);
  };
}
const milliseconds = integer(1, 2 ** 31 - 1);
const fdNumber = integer(0, 2 ** 31 - 1);
const signal: Check = (v, n) => {
  if (!(v instanceof AbortSignal)) fail(n, 'an AbortSignal', v);
};
const hooks: Check = (v, n) => {
  if (!isObject(v)) fail(n, 'an object of hook functions', v);
  for (const [key, hook] of Object.entries(v)) {
    if (!HOOK_NAMES.has(key)) unknown(`${n}.${key}`, HOOK_NAMES);
    if (typeof hook !== 'function') fail(`${n}.${key}`, 'a function', hook);
  }
};
const inheritFds: Check = (v, n) => {
  if (!isObject(v)) fail(n, 'an object mapping CRIU keys to fds', v);
  for (const [key, fd] of Object.entries(v)) fdNumber(fd, `${n}['${key}']`);
};
const joinNs: Check = (v, n) => {
  if (!Array.isArray(v)) fail(n, 'an array of { ns, nsFile, extraOpt? }', v);
  v.forEach((entry: unknown, i) => {
    if (!isObject(entry)) fail(`${n}[${i}]`, 'an object { ns, nsFile, extraOpt? }', entry);
    validateShape(entry, { ns: string, nsFile: string, extraOpt: string }, `${n}[${i}]`, ['ns', 'nsFile']);
  });
};

const leaveOutAdvice: Check = (v, n) => {
  if (typeof v === 'function') return;
  if (!Array.isArray(v)) fail(n, 'an array of fds / { pid, fd }, or a predicate', v);
  v.forEach((a: unknown, i) => {
    if (typeof a === 'number') fdNumber(a, `${n}[${i}]`);
    else if (isObject(a)) validateShape(a, { pid: integer(1, 4_194_304), fd: fdNumber }, `${n}[${i}]`, ['pid', 'fd']);
    else fail(`${n}[${i}]`, 'an fd number or { pid, fd }', a);
  });
};

const snapshotChoice = (v: unknown, n: string): boolean => {
  if (v === 'snapshot') return true;
  if (isObject(v) && 'snapshot' in v) {
    validateShape(v, { snapshot: string }, n, ['snapshot']);
    return true;
  }
  return false;
};

/** A SysV segment substitute: 'same', a segment id, { key }, a snapshot, or { data }. */
const shmSubstitute: Check = (v, n) => {
  if (v === 'same' || snapshotChoice(v, n)) return;
  if (typeof v === 'number') return integer(0, 2 ** 31 - 1)(v, n);
  if (!isObject(v)) fail(n, "'same', a segment id, { key }, 'snapshot', { snapshot } or { data }", v);
  if ('data' in v) {
    return validateShape(
      v,
      {
        data: (d, name) => {
          if (!(d instanceof Uint8Array)) fail(name, 'a Buffer or Uint8Array', d);
        },
      },
      n,
      ['data'],
    );
  }
  validateShape(v, { key: integer(-(2 ** 31), 2 ** 32 - 1) }, n, ['key']);
};
/** Host semaphore sets or queues at restore: { [id]: 'live' | 'snapshot' | { snapshot } }. */
const hostObjects: Check = (v, n) => {
  if (!isObject(v)) fail(n, "an object { [id]: 'live' | 'snapshot' | { snapshot } }", v);
  for (const [id, choice] of Object.entries(v)) {
    if (!/^\d+$/.test(id)) throw new TypeError(`Option '${n}' key '${id}' must be an id.`);
    if (choice !== 'live' && !snapshotChoice(choice, `${n}['${id}']`)) {
      fail(`${n}['${id}']`, "'live', 'snapshot' or { snapshot: dir }", choice);
    }
  }
};
const idList: Check = (v, n) => {
  if (!Array.isArray(v)) fail(n, 'an array of ids', v);
  for (const [i, id] of (v as unknown[]).entries()) integer(0, 2 ** 31 - 1)(id, `${n}[${i}]`);
};
/** Which host SysV objects to snapshot: { shm?, sem?, msg? } id lists. */
export const sysvSelection: Check = (v, n) => {
  if (!isObject(v)) fail(n, 'an object { shm?, sem?, msg? } of id arrays', v);
  validateShape(v, { shm: idList, sem: idList, msg: idList }, n);
};
const sysvCheckpoint: Check = (v, n) => {
  if (!isObject(v)) fail(n, 'an object { snapshot?, leaveOutContents? }', v);
  validateShape(v, { snapshot: sysvSelection, leaveOutContents: (ids, name) => ids === 'all' || idList(ids, name) }, n);
};
const sysvRestore: Check = (v, n) => {
  if (!isObject(v)) fail(n, 'an object { shm?, sem?, msg? }', v);
  validateShape(
    v,
    {
      sem: hostObjects,
      msg: hostObjects,
      shm: (subs, name) => {
        if (!isObject(subs)) fail(name, "an object { [shmid or 'key:K']: substitute }", subs);
        for (const [key, sub] of Object.entries(subs)) {
          if (!/^(\d+|key:(0x[0-9a-fA-F]+|\d+))$/.test(key)) {
            throw new TypeError(`Option '${name}' key '${key}' must be a shmid or 'key:0x...'.`);
          }
          shmSubstitute(sub, `${name}['${key}']`);
        }
      },
    },
    n,
  );
};

const HOOK_NAMES = new Set([
  'preStream',
  'preDump',
  'postDump',
  'preRestore',
  'postRestore',
  'networkLock',
  'networkUnlock',
  'setupNamespaces',
  'postSetupNamespaces',
  'preResume',
  'postResume',
  'orphanPtsMaster',
  'statusReady',
  'queryExtFiles',
]);

const backend: Check = (v, n) => {
  if (v !== 'auto' && v !== 'criu' && v !== 'sim') fail(n, "'auto', 'criu' or 'sim'", v);
};
// index.ts takes `backend` off before a backend runs; listed so that a misspelling gets its "did you mean".
const common = { criuPath: string, backend };
const operation = { ...common, hooks, signal, timeout: milliseconds, logLevel: integer(0, 4) };

export const CHECK_OPTIONS = { ...common };
export const CHECKPOINT_OPTIONS = {
  ...operation,
  imagesDir: string,
  parent: string,
  leaveRunning: boolean,
  shellJob: boolean,
  tcpEstablished: boolean,
  fileLocks: boolean,
  external: stringList,
  extUnixSk: boolean,
  ghostLimit: integer(0, 2 ** 32 - 1),
  digest: boolean,
  leaveOut: leaveOutAdvice,
  sysv: sysvCheckpoint,
  leaveOutMappings: (v: unknown, n: string) => {
    if (typeof v !== 'function') stringList(v, n);
  },
};
export const RESTORE_OPTIONS = {
  ...operation,
  inheritFds,
  external: stringList,
  joinNs,
  pidWaitTimeout: integer(0, 600_000),
  workDir: string,
  lazyPages: boolean,
  verify: boolean,
  allowUntrustedImages: boolean,
  skipFileRwxCheck: boolean,
  replayPipeData: boolean,
  outsideFds: (v: unknown, n: string) => {
    if (!(OUTSIDE_FDS_MODES as readonly unknown[]).includes(v)) {
      fail(n, OUTSIDE_FDS_MODES.map((m) => `'${m}'`).join(' or '), v);
    }
  },
  allowSizeChange: boolean,
  sysv: sysvRestore,
  shellJob: boolean,
  tcpEstablished: boolean,
  fileLocks: boolean,
  extUnixSk: boolean,
  mappings: (v: unknown, n: string) => {
    if (!isObject(v)) fail(n, 'an object { [path]: path or fd }', v);
    for (const [path, sub] of Object.entries(v)) {
      if (typeof sub !== 'number') string(sub, `${n}['${path}']`);
    }
  },
  fds: assertFdSubstitutions,
};

function unknown(name: string, known: Iterable<string>): never {
  throw new TypeError(`Unknown option '${name}'.${didYouMean(name.slice(name.lastIndexOf('.') + 1), known)}`);
}

function validateShape(
  value: Record<string, unknown>,
  shape: Record<string, Check>,
  prefix: string,
  required: readonly string[] = [],
): void {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    const check = shape[key];
    if (!check) unknown(name, Object.keys(shape));
    if (v !== undefined) check(v, name);
  }
  for (const key of required) {
    if (value[key] === undefined) throw new TypeError(`Option '${prefix ? `${prefix}.` : ''}${key}' is required.`);
  }
}

function validate<T>(options: unknown, shape: Record<string, Check>, what: string): T {
  if (options === undefined) return {} as T;
  if (!isObject(options)) throw new TypeError(`${what} options must be an object.`);
  validateShape(options, shape, '');
  return options as T;
}

export const MIGRATE_OPTIONS = {
  criuPath: string,
  logLevel: integer(0, 4),
  signal,
  timeout: milliseconds,
  to: (v: unknown, n: string) => assertEndpoint(v, n),
  leftBehind: (v: unknown, n: string) => {
    if (v !== 'refuse' && v !== 'replace') fail(n, "'refuse' or 'replace'", v);
  },
  leaveOut: leaveOutAdvice,
  shellJob: boolean,
  external: stringList,
  imagesDir: string,
};
export const SERVE_OPTIONS = {
  criuPath: string,
  logLevel: integer(0, 4),
  listen: (v: unknown, n: string) => assertEndpoint(v, n, true),
  imagesRoot: string,
  keepImages: boolean,
  fds: assertFdSubstitutions,
  outsideFds: RESTORE_OPTIONS.outsideFds,
  accept: (v: unknown, n: string) => {
    if (typeof v !== 'function') fail(n, 'a function', v);
  },
};

/** migrate()'s options; `to` is required. */
export function validateMigrateOptions(o: unknown): MigrateOptions {
  if (!isObject(o)) throw new TypeError("migrate options must be an object with 'to'.");
  validateShape(o, MIGRATE_OPTIONS, '', ['to']);
  return o as unknown as MigrateOptions;
}

/** serve()'s options; `listen` is required. */
export function validateServeOptions(o: unknown): ServeOptions {
  if (!isObject(o)) throw new TypeError("serve options must be an object with 'listen'.");
  validateShape(o, SERVE_OPTIONS, '', ['listen']);
  return o as unknown as ServeOptions;
}

export const validateCheckOptions = (o: unknown) => validate<CheckOptions>(o, CHECK_OPTIONS, 'check');
export const validateCheckpointOptions = (o: unknown) =>
  validate<CheckpointOptions>(o, CHECKPOINT_OPTIONS, 'checkpoint');
export const validateRestoreOptions = (o: unknown) => validate<RestoreOptions>(o, RESTORE_OPTIONS, 'restore');

/** A pid argument: a positive integer. */
export function validatePid(pid: unknown): number {
  if (typeof pid !== 'number' || !Number.isInteger(pid))
    throw new TypeError(`pid must be an integer, got ${typeof pid}.`);
  if (pid < 1 || pid > 4_194_304) throw new RangeError(`pid must be between 1 and 4194304, got ${pid}.`);
  return pid;
}
