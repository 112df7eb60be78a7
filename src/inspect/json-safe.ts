// Turning CRIU's 64-bit numbers into JSON-safe values: a number while it is exact, else a string.

/** An integer as JSON can carry it: a number up to 2^53 - 1, beyond that its decimal string. */
export type JsonInteger = number | string;

/** `value` as a number when it is a safe integer, else as a decimal string (never a bigint). */
export function jsonInteger(value: bigint | number): JsonInteger {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** An address as CRIU and /proc print it: `0x` and lowercase hex, no padding. */
export function hexAddress(value: bigint): string {
  return `0x${value.toString(16)}`;
}
