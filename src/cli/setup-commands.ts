// The CLI commands about the CRIU of this machine: `check` (can it checkpoint here) and
// `install-criu` (build and install it). Each returns the exit code.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../criu/locate.js';
import { capabilitiesOf, check } from '../index.js';
import { common, commonOptions } from './common-flags.js';
import { emit, printCheck } from './output.js';
import { usage } from './usage.js';
import { usageErrors } from './usage-error.js';

/** `node-criu check [--json]`: which backend would run, and whether it can. */
export async function cmdCheck(args: string[]): Promise<number> {
  const { values } = usageErrors(() => parseArgs({ args, options: common, strict: true }));
  const result = await check(commonOptions(values));
  emit(values.json, result, () => printCheck(result));
  // Zero only when the backend reported can checkpoint real processes (the simulator cannot).
  return result.usable && capabilitiesOf(result.backend).has('real-processes') ? 0 : 1;
}

/** `node-criu install-criu`: runs scripts/install-criu.sh, with its output on ours. */
export function cmdInstallCriu(args: string[]): number {
  const { values } = usageErrors(() => parseArgs({ args, options: common, strict: true }));
  if (values.help) return usage(0);
  const r = spawnSync('bash', [join(PACKAGE_ROOT, 'scripts/install-criu.sh')], { stdio: 'inherit' });
  return r.status ?? 1;
}
