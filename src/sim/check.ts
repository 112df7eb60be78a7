// check() of the simulator: it needs nothing from the host, so it is always usable.
import type { CheckResult, FeatureProblem } from '../types.js';

/** Its processes have no memory to serve on demand. */
export const SIM_NOT_LAZY: FeatureProblem = {
  feature: 'lazyPages',
  message: 'The simulator restores eagerly: lazy restore needs real CRIU.',
  fix: "Use backend 'criu' (check() with backend: 'criu' says what it needs here).",
};

export async function simCheck(): Promise<CheckResult> {
  return {
    backend: 'sim',
    usable: true,
    version: undefined,
    criuPath: undefined,
    features: undefined,
    problems: [],
    unavailable: [SIM_NOT_LAZY],
  };
}
