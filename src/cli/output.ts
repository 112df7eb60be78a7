// Human-readable output of the CLI (the --json output is the library's objects as they are).
import { capabilitiesOf } from '../backend.js';
import { PAGE_SIZE } from '../inspect/memory.js';
import type { Checkpoint, CheckResult } from '../types.js';
import { humanBytes } from './bytes.js';
import { needLines } from './needs-output.js';

/** Prints `value` as JSON under --json, else runs the human-readable printer. */
export function emit(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else human();
}

export function printCheck(result: CheckResult): void {
  console.log(`backend:  ${result.backend}${result.selection ? ` (${result.selection.reason})` : ''}`);
  console.log(`criu:     ${result.criuPath ?? '(not found)'}${result.version ? ` (version ${result.version})` : ''}`);
  if (result.features) {
    const f = result.features;
    console.log(`features: mem_track=${f.memTrack} lazy_pages=${f.lazyPages} pidfd_store=${f.pidfdStore}`);
  }
  console.log(`usable:   ${result.usable ? 'yes' : 'no'}`);
  if (!capabilitiesOf(result.backend).has('real-processes')) {
    console.log('note:     the simulator checkpoints only its own simulated processes, never a real pid');
  }
  for (const p of result.problems) console.log(`problem:  [${p.code}] ${p.message}\n          fix: ${p.fix}`);
  for (const u of result.unavailable) console.log(`no ${u.feature}: ${u.message}\n          fix: ${u.fix}`);
}

export function printCheckpoint(cp: Checkpoint): void {
  console.log(
    `checkpointed pid ${cp.pid} (${cp.pids.length} process${cp.pids.length === 1 ? '' : 'es'}) into ${cp.imagesDir}`,
  );
  console.log(`tree:     ${cp.pids.join(' ')}`);
  console.log(`state:    ${cp.leftRunning ? 'left running' : 'killed after the dump'}`);
  if (cp.stats) {
    const s = cp.stats;
    const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
    console.log(
      `stats:    frozen ${ms(s.frozenTimeUs)} (freezing ${ms(s.freezingTimeUs)}, memdump ${ms(s.memdumpTimeUs)}, memwrite ${ms(s.memwriteTimeUs)}), ${humanBytes(s.pagesWritten * PAGE_SIZE)} of pages written`,
    );
  }
  console.log(`log:      ${cp.logPath}`);
  const needs = needLines(cp.needs);
  if (needs.length === 0) console.log('restore:  needs no substitute');
  else for (const [i, line] of needs.entries()) console.log(`${i === 0 ? 'restore: ' : '         '} ${line}`);
}
