// Argument checks the adapters in src/native/ run before calling into the addon: Node-style
// TypeError / RangeError carrying ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE as `code`.

/** INT_MAX: fds and pids are C ints. */
export const MAX_INT32 = 0x7fffffff;

export function argumentError(message: string, code: 'ERR_INVALID_ARG_TYPE' | 'ERR_OUT_OF_RANGE'): Error {
  const error = code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message);
  return Object.assign(error, { code });
}

export function assertFd(fd: unknown, name: string): asserts fd is number {
  if (typeof fd !== 'number') {
    throw argumentError(`${name} must be a number, got ${typeof fd}.`, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isInteger(fd) || fd < 0 || fd > MAX_INT32) {
    throw argumentError(`${name} must be an integer from 0 to 2147483647, got ${fd}.`, 'ERR_OUT_OF_RANGE');
  }
}

export function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw argumentError(`${name} must be a boolean, got ${typeof value}.`, 'ERR_INVALID_ARG_TYPE');
  }
}

export function assertPid(pid: unknown): asserts pid is number {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || pid > MAX_INT32) {
    throw argumentError(`pid must be a positive integer, got ${String(pid)}.`, 'ERR_OUT_OF_RANGE');
  }
}
