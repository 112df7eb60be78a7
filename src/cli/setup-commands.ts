// The CLI commands about the CRIU of this machine: `check` (can it checkpoint here) and
// `install-criu` (build and install it). Each returns the exit code.
import type { Command } from 'commander';
import { INSTALL_CRIU } from '../fix-hints.js';
import { defineCommand, GROUPS } from './command.js';
import { type CommonFlags, commonOptions } from './common-flags.js';

/** `node-criu check [--json]`: which backend would run, and whether it can. */
export const checkCommand = defineCommand<CommonFlags>({
  name: 'check',
  summary: 'say which backend would run here, and whether it can',
  group: GROUPS.setup,
  define(command: Command) {
    command.addHelpText(
      'after',
      `
Exit code 0 only when real processes can be checkpointed here. Without CRIU: ${INSTALL_CRIU}`,
    );
  },
  async run(_operands, flags) {
    const [{ capabilitiesOf, check }, { emit, printCheck }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
    ]);
    const result = await check(commonOptions(flags));
    emit(flags.json, result, () => printCheck(result));
    // Zero only when the backend reported can checkpoint real processes (the simulator cannot).
    return result.usable && capabilitiesOf(result.backend).has('real-processes') ? 0 : 1;
  },
});

/** `node-criu install-criu`: runs scripts/install-criu.sh, with its output on ours. */
export const installCriuCommand = defineCommand<CommonFlags>({
  name: 'install-criu',
  summary: 'build CRIU and install it where node-criu finds it ($NODE_CRIU_HOME, else a per-user cache)',
  group: GROUPS.setup,
  define(command: Command) {
    command.addHelpText(
      'after',
      `
From a project that installed node-criu: ${INSTALL_CRIU} (CRIU needs root to run).`,
    );
  },
  async run() {
    const [{ spawnSync }, { join }, { PACKAGE_ROOT }] = await Promise.all([
      import('node:child_process'),
      import('node:path'),
      import('../criu/locate.js'),
    ]);
    const r = spawnSync('bash', [join(PACKAGE_ROOT, 'scripts/install-criu.sh')], { stdio: 'inherit' });
    return r.status ?? 1;
  },
});
