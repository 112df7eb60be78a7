// The names of the backends and of the `backend` option. Kept apart from the contract in
// backend.ts, which uses the option types, so that those types can name the choice without a cycle.

/** The backends there are. */
export type BackendName = 'criu' | 'sim';

/**
 * Which backend an operation uses: `'criu'` (real CRIU, Linux, root), `'sim'` (the pure-TypeScript
 * simulator, anywhere) or `'auto'` (the simulator for its own pids and checkpoints and off Linux,
 * CRIU for everything real: a real pid without a usable CRIU fails with CRIU's problem; a restore
 * uses the backend that wrote the checkpoint). The `NODE_CRIU_BACKEND` environment
 * variable gives the default; the `backend` option of an operation overrides it.
 */
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'criu', 'sim'];
