// The options spawn() and fork() add to child_process's, validated, and the launcher's argv for them.
import type { StdioOptions } from 'node:child_process';

/** Namespaces a child can get of its own. */
export type SpawnNamespace = 'ipc' | 'pid';

const NAMESPACES: readonly SpawnNamespace[] = ['ipc', 'pid'];

/** What spawn() and fork() add to child_process's options, carried out by the launcher between fork and exec. */
export interface LaunchOptions {
  /**
   * New namespaces for the child:
   * - `'ipc'`: its SysV objects live in an IPC namespace of its own, which CRIU saves and
   *   restores with it (IPC-namespace mode);
   * - `'pid'`: the command is pid 1 of a new pid namespace (a checkpoint of it can then be
   *   restored any number of times at once). The returned child is then the launcher that waits
   *   for the command and forwards signals to it; `checkpoint(child.pid)` checkpoints the command.
   *
   * Both need CAP_SYS_ADMIN (root). Default: none.
   */
  namespaces?: readonly SpawnNamespace[];
  /**
   * Fail `io_uring_setup` with ENOSYS in the child and all its descendants (a seccomp filter,
   * which also sets no_new_privs). Node >= 22's libuv opens io_uring rings in every event loop,
   * and CRIU cannot checkpoint io_uring; with the block, libuv falls back to epoll. Default true.
   */
  blockIoUring?: boolean;
}

function did(kind: string, value: unknown): string {
  return `${kind} ${JSON.stringify(value)}`;
}

/** Checks the launch options (TypeError/RangeError) and returns the launcher's own arguments. */
export function launcherArguments(options: LaunchOptions, reportFd: number, keep: readonly number[]): string[] {
  const { namespaces = [], blockIoUring = true } = options;
  if (!Array.isArray(namespaces))
    throw new TypeError(`Option 'namespaces' must be an array, got ${did('a', namespaces)}.`);
  for (const ns of namespaces) {
    if (!(NAMESPACES as readonly unknown[]).includes(ns)) {
      throw new RangeError(
        `Option 'namespaces' may hold ${NAMESPACES.map((n) => `'${n}'`).join(' and ')}, got ${JSON.stringify(ns)}.`,
      );
    }
  }
  if (typeof blockIoUring !== 'boolean')
    throw new TypeError(`Option 'blockIoUring' must be a boolean, got ${did('a', blockIoUring)}.`);
  const args = ['--report', String(reportFd), '--keep', keep.join(',')];
  if (namespaces.length > 0) args.push('--ns', [...new Set(namespaces)].join(','));
  if (!blockIoUring) args.push('--no-io-uring-block');
  return args;
}

/**
 * child_process's stdio as the array libuv sets up (at least 0-2), the way Node reads it: a string
 * stands for all three (plus 'ipc' for fork), a missing 0-2 is 'pipe'.
 */
export function stdioArray(stdio: StdioOptions | undefined, fallback: string, ipc: boolean): unknown[] {
  const list: unknown[] =
    stdio === undefined || typeof stdio === 'string'
      ? [stdio ?? fallback, stdio ?? fallback, stdio ?? fallback, ...(ipc ? ['ipc'] : [])]
      : [...stdio];
  while (list.length < 3) list.push(undefined);
  return list;
}

/**
 * The fds the child is given (the launcher closes the rest): 0-2 always (libuv opens /dev/null for
 * an ignored one), above that every entry but 'ignore' (libuv leaves that number alone, so a stray
 * fd of ours there would otherwise leak in).
 */
export function keptFds(stdio: readonly unknown[]): number[] {
  return stdio.flatMap((entry, fd) =>
    fd < 3 || (entry !== 'ignore' && entry !== null && entry !== undefined) ? [fd] : [],
  );
}

/**
 * child_process's argument shapes after the command: (options), (null, options), (args, options),
 * as spawn() and fork() both accept them.
 */
export function argsAndOptions<T extends object>(
  argsOrOptions: readonly string[] | T | null | undefined,
  maybeOptions: T | undefined,
): [string[], Partial<T>] {
  if (Array.isArray(argsOrOptions)) return [[...(argsOrOptions as readonly string[])], maybeOptions ?? {}];
  return [[], (argsOrOptions ?? maybeOptions ?? {}) as Partial<T>];
}
