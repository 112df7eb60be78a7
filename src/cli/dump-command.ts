// The CLI's `dump` command: checkpoints a process tree into an images dir (see checkpoint()).
import type { Command } from 'commander';
import { defineCommand, GROUPS, repeatable } from './command.js';
import { addProgressFlags, type CommonFlags, commonOptions, type ProgressFlags } from './common-flags.js';
import { integerArg } from './integer-arg.js';
import { UsageError } from './usage-error.js';

interface DumpFlags extends CommonFlags, ProgressFlags {
  tree?: string;
  imagesDir?: string;
  leaveRunning?: boolean;
  shellJob?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  extUnixSk?: boolean;
  external?: string[];
  leaveOut?: string[];
  sysvSnapshot?: string[];
  sysvLeaveOutContents?: string[];
}

/** `node-criu dump <pid> -D <dir> [flags]` (or criu's `-t <pid>`): exit code 0 once the images are written. */
export const dumpCommand = defineCommand<DumpFlags>({
  name: 'dump',
  summary: 'checkpoint a process tree into an images dir',
  group: GROUPS.run,
  define(command: Command) {
    command
      .argument('[pid]', 'the root of the tree to checkpoint (or -t PID)')
      .option('-t, --tree <pid>', 'the root of the tree, as criu spells it')
      .option('-D, --images-dir <dir>', 'where the images go: a new or empty directory (required)')
      .option('-R, --leave-running', 'leave the tree running after the dump (default: it is killed)')
      .option('-j, --shell-job', 'the tree is a shell job (its session and terminal are outside)')
      .option('--tcp-established', 'checkpoint established TCP connections')
      .option('--file-locks', 'checkpoint file locks')
      .option('--ext-unix-sk', 'allow unix sockets connected to outside the tree')
      .option('--external <key>', 'an external resource, as criu --external (repeatable)', repeatable)
      .option('--leave-out <fd>', "leave the root's fd out: restore must substitute it (repeatable)", repeatable)
      .option('--sysv-snapshot <id>', 'snapshot a host SysV object: SHMID, sem:ID or msg:ID (repeatable)', repeatable)
      .option(
        '--sysv-leave-out-contents <shmid>',
        "leave a segment's contents out of the images: SHMID or all (repeatable)",
        repeatable,
      );
    addProgressFlags(command).addHelpText(
      'after',
      `
The tree is killed after the dump unless -R is given. The output says what a restore will need.
Progress (bytes written of the tree's memory, rate) is shown on stderr when it is a terminal.

Examples:
  node-criu dump 1234 -D /tmp/cp
  node-criu dump -t 1234 -D /tmp/cp -R -j       (criu's spelling)`,
    );
  },
  async run(operands, flags) {
    const given = [...operands, ...(flags.tree === undefined ? [] : [flags.tree])];
    if (given.length === 0) throw new UsageError('dump needs a pid: node-criu dump <pid> (or -t <pid>).');
    if (given.length > 1) throw new UsageError('dump takes exactly one pid (a positional pid or -t, not both).');
    const pid = integerArg(given[0], 'pid') as number;
    const imagesDir = flags.imagesDir;
    if (!imagesDir) throw new UsageError('dump needs -D <dir>.');
    const { sysvSelection, contentsChoice } = await import('./sysv-flags.js');
    const snapshot = sysvSelection(flags.sysvSnapshot ?? []);
    const leaveOutContents = contentsChoice(flags.sysvLeaveOutContents ?? []);
    const leaveOut = (flags.leaveOut ?? []).map((fd) => integerArg(fd, '--leave-out') as number);
    const options = {
      ...commonOptions(flags),
      imagesDir,
      leaveRunning: flags.leaveRunning ?? false,
      shellJob: flags.shellJob ?? false,
      tcpEstablished: flags.tcpEstablished ?? false,
      fileLocks: flags.fileLocks ?? false,
      extUnixSk: flags.extUnixSk ?? false,
      external: flags.external ?? [],
      leaveOut,
      ...(snapshot || leaveOutContents
        ? { sysv: { ...(snapshot ? { snapshot } : {}), ...(leaveOutContents ? { leaveOutContents } : {}) } }
        : {}),
    };
    const [{ checkpoint }, { emit, printCheckpoint }, { progressMode, trackDump }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
      import('./progress.js'),
    ]);
    const progress = trackDump(progressMode(flags.progress), pid, imagesDir);
    let cp: Awaited<ReturnType<typeof checkpoint>>;
    try {
      cp = await checkpoint(pid, options);
    } catch (error) {
      progress.stop(false);
      throw error;
    }
    progress.stop(true);
    emit(flags.json, cp, () => printCheckpoint(cp));
    return 0;
  },
});
