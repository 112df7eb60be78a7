// The machine's memory write bandwidth, measured in the same run: the ceiling for the throughput
// of dumping and restoring touched memory.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { summary } from '../stats.mjs';

const run = promisify(execFile);

/** Best-of-5 memset rate of 1 GiB, `runs` times: GB/s summary. */
export async function memoryBandwidth(ctx) {
  const rates = [];
  for (let i = 0; i < ctx.runs; i++) {
    const { stdout } = await run(ctx.bins.bandwidth, ['1024']);
    rates.push(Number(stdout.split(' ')[0]));
  }
  return summary(rates);
}
