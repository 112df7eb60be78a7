// Byte counts, rates and durations as people read them, for every human-readable output of the CLI.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A byte count with a binary unit (`4 KiB`, `10.5 MiB`); the --json output keeps plain numbers. */
export function humanBytes(value: number | string | bigint): string {
  const n = Number(value);
  let unit = 0;
  let scaled = n;
  while (scaled >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  const text = unit === 0 || Number.isInteger(scaled) ? String(scaled) : scaled.toFixed(1);
  return `${text} ${UNITS[unit]}`;
}

/** Bytes per second (`180.2 MiB/s`). */
export function humanRate(bytesPerSecond: number): string {
  return `${humanBytes(Math.round(bytesPerSecond))}/s`;
}

/** A duration in milliseconds as seconds (`1.3 s`) or, under one, milliseconds (`420 ms`). */
export function humanDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
