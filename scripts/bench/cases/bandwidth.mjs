// The machine's memory write bandwidth, measured in the same run: the ceiling for the throughput
// of dumping and restoring touched memory.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { summary } from '../stats.mjs';

const run = promisify(execFile);

/**
 * Best-of-5 memset rate of 1 GiB, and the rate of its first memset (every page faulted in),
 * `runs` times: GB/s summaries. On a VM whose host takes back the memory it frees (a balloon's
 * free page reporting), the second is what every dump and restore of a large tree pays per page.
 */
export async function memoryBandwidth(ctx) {
  const rates = [];
  const firstTouch = [];
  for (let i = 0; i < ctx.runs; i++) {
    const { stdout } = await run(ctx.bins.bandwidth, ['1024']);
    const [best, first] = stdout.split(' ').map(Number);
    rates.push(best);
    firstTouch.push(first);
  }
  return { write: summary(rates), firstTouch: summary(firstTouch) };
}
