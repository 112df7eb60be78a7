// check() of the simulator: it needs nothing from the host, so it is always usable.
import type { CheckResult } from '../types.js';

export async function simCheck(): Promise<CheckResult> {
  return { backend: 'sim', usable: true, version: undefined, criuPath: undefined, features: undefined, problems: [] };
}
