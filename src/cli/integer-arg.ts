// Reading a flag's or positional's value as a non-negative integer (pids, fds, ids, milliseconds).
import { UsageError } from './usage-error.js';

/** `value` as a number (undefined when absent); anything but decimal digits is a usage mistake. */
export function integerArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a positive integer, got '${value}'.`);
  return Number(value);
}
