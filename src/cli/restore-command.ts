// The CLI's `restore` command: restores a checkpoint, relays the restored root's stdio to ours
// unless detached, and exits with the root's exit status (see restore()).
import { type Command, Option } from 'commander';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { RestoredProcess } from '../types.js';
import { defineCommand, GROUPS, repeatable } from './command.js';
import { addProgressFlags, type CommonFlags, commonOptions, type ProgressFlags } from './common-flags.js';
import { integerArg } from './integer-arg.js';
import { UsageError } from './usage-error.js';

interface RestoreFlags extends CommonFlags, ProgressFlags {
  imagesDir?: string;
  detach?: boolean;
  restoreDetached?: boolean;
  shellJob?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  extUnixSk?: boolean;
  inheritFd?: string[];
  fd?: string[];
  verify: boolean;
  lazyPages?: boolean;
  allowUntrustedImages?: boolean;
  external?: string[];
  shm?: string[];
  sem?: string[];
  msg?: string[];
  joinNs?: string[];
}

/** `node-criu restore -D <dir> [flags]`: the root's exit code, or 0 once a detached tree runs. */
export const restoreCommand = defineCommand<RestoreFlags>({
  name: 'restore',
  summary: 'restore a checkpoint; relay its output, or leave it running (-d)',
  group: GROUPS.run,
  define(command: Command) {
    command
      .option('-D, --images-dir <dir>', 'the checkpoint to restore (required)')
      .option('-d, --detach', 'leave the tree running and exit (criu: -d, --restore-detached)')
      .addOption(new Option('--restore-detached', "criu's spelling of --detach").hideHelp())
      .option('-j, --shell-job', 'restore as a shell job (default: as dumped)')
      .option('--tcp-established', 'restore established TCP connections (default: as dumped)')
      .option('--file-locks', 'restore file locks (default: as dumped)')
      .option('--ext-unix-sk', 'allow unix sockets connected to outside the tree (default: as dumped)')
      .option(
        '--fd <[pid:]n=sub>',
        'substitute an fd: pipe, inherit, null, FD, /PATH or ./PATH (repeatable)',
        repeatable,
      )
      .option(
        '--inherit-fd <spec>',
        "give CRIU's external file KEY our fd N: fd[N]:KEY (as criu) or KEY=N (repeatable)",
        repeatable,
      )
      .option('--external <key>', 'an external resource, as criu --external (repeatable)', repeatable)
      .option('--shm <old=new>', 'SysV segment: OLD=NEW|key:K|same|snapshot|file:PATH (repeatable)', repeatable)
      .option('--sem <id=choice>', 'SysV semaphore set: ID=live|snapshot (repeatable)', repeatable)
      .option('--msg <id=choice>', 'SysV message queue: ID=live|snapshot (repeatable)', repeatable)
      .option('--join-ns <ns:file>', 'join an existing namespace: NS:FILE, as criu --join-ns (repeatable)', repeatable)
      .option('--no-verify', 'skip the integrity check of the images')
      .option('--lazy-pages', 'restore memory lazily, on fault and in the background')
      .option('--allow-untrusted-images', 'restore images not written by this user or root');
    addProgressFlags(command).addHelpText(
      'after',
      `
Without -d, the restored root's stdin, stdout and stderr are relayed through ours: stdout carries
only its output; the restored pid goes to stderr (with --json, as a JSON line on stderr). node-criu
exits with the root's exit code (128+N when killed by signal N).
With -d, the pid (or the --json object) is printed on stdout and node-criu exits once the tree runs.

Examples:
  node-criu restore -D /tmp/cp
  node-criu restore -D /tmp/cp -d --fd 1=/tmp/out.log
  node-criu restore -D /tmp/cp -d --inherit-fd 'fd[3]:pipe:[12345]'    (criu's spelling)`,
    );
  },
  async run(operands, flags) {
    if (operands.length > 0) throw new UsageError(`restore takes no positional arguments (got '${operands[0]}').`);
    const imagesDir = flags.imagesDir;
    if (!imagesDir) throw new UsageError('restore needs -D <dir>.');
    const detach = flags.detach === true || flags.restoreDetached === true;
    const inheritFds = inheritFdFlags(flags.inheritFd ?? []);
    const [{ fdTableOf }, { shmSubstitutes, sysvRestoreFlags }] = await Promise.all([
      import('./fd-flag.js'),
      import('./sysv-flags.js'),
    ]);
    const fds = fdTableOf(flags.fd ?? []);
    const sysv = sysvRestoreFlags(await shmSubstitutes(flags.shm ?? []), flags.sem ?? [], flags.msg ?? []);
    const joinNs = (flags.joinNs ?? []).map((value) => {
      const at = value.indexOf(':');
      if (at <= 0 || at === value.length - 1) throw new UsageError(`--join-ns takes NS:FILE, got '${value}'.`);
      return { ns: value.slice(0, at), nsFile: value.slice(at + 1) };
    });
    const lazyPages = flags.lazyPages ?? false;
    const [{ restore }, { emit }, { progressMode, trackRestore }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
      import('./progress.js'),
    ]);
    // Lazy pages arrive after the tree runs: there is nothing to count while it is restored.
    const progress = trackRestore(lazyPages ? 'off' : progressMode(flags.progress), imagesDir);
    let restored: RestoredProcess;
    try {
      restored = await restore(imagesDir, {
        ...commonOptions(flags),
        ...sysv,
        ...(Object.keys(fds).length > 0 ? { fds } : {}),
        // Detached, nothing of ours can serve a new pipe: do what `criu restore -d` does.
        outsideFds: detach ? 'criu' : 'pipe',
        verify: flags.verify,
        lazyPages,
        allowUntrustedImages: flags.allowUntrustedImages ?? false,
        ...(flags.shellJob ? { shellJob: true } : {}),
        ...(flags.tcpEstablished ? { tcpEstablished: true } : {}),
        ...(flags.fileLocks ? { fileLocks: true } : {}),
        ...(flags.extUnixSk ? { extUnixSk: true } : {}),
        inheritFds,
        external: flags.external ?? [],
        ...(joinNs.length > 0 ? { joinNs } : {}),
      });
    } catch (error) {
      progress.stop(false);
      throw error;
    }
    progress.stop(true);
    // Only the root's stdio is relayed: its other defaulted pipes get their other end closed.
    for (const [fd, stream] of restored.stdio.entries()) {
      if (fd > 2 && restored.defaultedFds.some((d) => d.root && d.fd === fd)) stream?.destroy();
    }
    for (const line of defaultedFdLines(restored.defaultedFds)) process.stderr.write(`${line}\n`);
    const { pid, pids, defaultedFds } = restored;
    if (detach) {
      emit(flags.json, { pid, pids, defaultedFds }, () => console.log(String(pid)));
      return await detached(restored);
    }
    // Relayed: stdout is the restored process's alone; what we have to say goes to stderr.
    process.stderr.write(
      flags.json
        ? `${JSON.stringify({ pid, pids, defaultedFds })}\n`
        : `node-criu: restored pid ${pid}${pids.length > 1 ? ` (tree ${pids.join(' ')})` : ''}\n`,
    );
    return await relayed(restored);
  },
});

/** The tree keeps running, re-parented when we exit; its 'pipe' ends (ours) close with us. */
async function detached(restored: RestoredProcess): Promise<number> {
  restored.unref();
  for (const stream of restored.stdio) stream?.destroy();
  // The tree runs already; its pages come from our lazy-pages daemon, which must not be orphaned.
  const lazy = await restored.pagesLoaded;
  if (lazy) {
    const eager = lazy.eager.map((e) => `${e.pages} ${e.kind}`).join(', ') || 'none';
    process.stderr.write(
      `node-criu: all pages in: ${lazy.pages} lazy (${lazy.onFault} on fault, ${lazy.inBackground} in the background); restored eagerly: ${eager}\n`,
    );
  }
  return 0;
}

/** 'pipe' substitutes: the restored process's output relayed to ours, and our stdin to it. */
async function relayed(restored: RestoredProcess): Promise<number> {
  const { constants } = await import('node:os');
  restored.stdout?.pipe(process.stdout);
  restored.stderr?.pipe(process.stderr);
  if (restored.stdin) process.stdin.pipe(restored.stdin);
  const { code, signal } = await restored.exited;
  process.stdin.unpipe();
  process.stdin.pause();
  // Like a shell: 128 + the signal number when the root was killed.
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

/**
 * --inherit-fd values, as criu spells them (`fd[N]:KEY`) or as node-criu did first (`KEY=N`):
 * CRIU's external file KEY becomes our fd N.
 */
export function inheritFdFlags(values: readonly string[]): Record<string, number> {
  const inheritFds: Record<string, number> = {};
  for (const value of values) {
    const criu = /^fd\[(\d+)\]:(.+)$/.exec(value);
    if (criu?.[1] && criu[2]) {
      inheritFds[criu[2]] = Number(criu[1]);
      continue;
    }
    const at = value.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--inherit-fd takes fd[N]:KEY (as criu) or KEY=N, got '${value}'.`);
    inheritFds[value.slice(0, at)] = integerArg(value.slice(at + 1), '--inherit-fd N') as number;
  }
  return inheritFds;
}

/** What the CLI did with each fd whose other end was outside the checkpoint, and the flag that chooses. */
function defaultedFdLines(defaulted: readonly DefaultedFd[]): string[] {
  return defaulted.map((d) => {
    const what =
      d.became === 'criu'
        ? 'recreated by CRIU with its other end closed, as criu restore does'
        : d.became === 'null'
          ? 'given /dev/null'
          : d.fd <= 2
            ? 'relayed through a new pipe'
            : 'given a new pipe whose other end is closed';
    const flag = d.root ? `--fd ${d.fd}=` : `--fd ${d.pid}:${d.fd}=`;
    return `node-criu: fd ${d.fd} of pid ${d.pid} (${d.type} ${d.key}) had its other end outside the checkpoint: ${what}. ${flag}PATH|null|inherit|FD substitutes it.`;
  });
}
