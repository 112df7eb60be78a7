// The CLI's `restore` command: restores a checkpoint, relays the restored root's stdio to ours
// unless detached, and exits with the root's exit status (see restore()).
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import { type FdSubstitute, restore } from '../index.js';
import { common, commonOptions } from './common-flags.js';
import { parseFdFlag } from './fd-flag.js';
import { integerArg } from './integer-arg.js';
import { emit } from './output.js';
import { shmSubstitutes, sysvRestoreFlags } from './sysv-flags.js';
import { UsageError, usageErrors } from './usage-error.js';

/** `node-criu restore -D <dir> [flags]`: the root's exit code, or 0 once a detached tree runs. */
export async function cmdRestore(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...common,
        'images-dir': { type: 'string', short: 'D' },
        detach: { type: 'boolean', short: 'd' },
        'inherit-fd': { type: 'string', multiple: true },
        fd: { type: 'string', multiple: true },
        'no-verify': { type: 'boolean' },
        'lazy-pages': { type: 'boolean' },
        'allow-untrusted-images': { type: 'boolean' },
        external: { type: 'string', multiple: true },
        shm: { type: 'string', multiple: true },
        sem: { type: 'string', multiple: true },
        msg: { type: 'string', multiple: true },
        'join-ns': { type: 'string', multiple: true },
      },
    }),
  );
  if (positionals.length > 0) throw new UsageError(`restore takes no positional arguments (got '${positionals[0]}').`);
  if (!values['images-dir']) throw new UsageError('restore needs -D <dir>.');
  const inheritFds: Record<string, number> = {};
  for (const pair of values['inherit-fd'] ?? []) {
    const at = pair.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--inherit-fd takes KEY=FD, got '${pair}'.`);
    inheritFds[pair.slice(0, at)] = integerArg(pair.slice(at + 1), '--inherit-fd FD') as number;
  }
  const fds: Record<number, FdSubstitute | Record<number, FdSubstitute>> = {};
  for (const { pid, fd, substitute } of (values.fd ?? []).map(parseFdFlag)) {
    if (pid === undefined) fds[fd] = substitute;
    else fds[pid] = { ...(fds[pid] as Record<number, FdSubstitute> | undefined), [fd]: substitute };
  }
  const shm = await shmSubstitutes(values.shm ?? []);
  const joinNs = (values['join-ns'] ?? []).map((value) => {
    const at = value.indexOf(':');
    if (at <= 0 || at === value.length - 1) throw new UsageError(`--join-ns takes NS:FILE, got '${value}'.`);
    return { ns: value.slice(0, at), nsFile: value.slice(at + 1) };
  });
  const restored = await restore(values['images-dir'], {
    ...commonOptions(values),
    ...sysvRestoreFlags(shm, values.sem ?? [], values.msg ?? []),
    ...(Object.keys(fds).length > 0 ? { fds } : {}),
    // Detached, nothing of ours can serve a new pipe: do what `criu restore -d` does.
    outsideFds: values.detach ? 'criu' : 'pipe',
    verify: !values['no-verify'],
    lazyPages: values['lazy-pages'] ?? false,
    allowUntrustedImages: values['allow-untrusted-images'] ?? false,
    inheritFds,
    external: values.external ?? [],
    ...(joinNs.length > 0 ? { joinNs } : {}),
  });
  // Only the root's stdio is relayed: its other defaulted pipes get their other end closed.
  for (const [fd, stream] of restored.stdio.entries()) {
    if (fd > 2 && restored.defaultedFds.some((d) => d.root && d.fd === fd)) stream?.destroy();
  }
  for (const line of defaultedFdLines(restored.defaultedFds)) process.stderr.write(`${line}\n`);
  const { pid, pids, defaultedFds } = restored;
  emit(values.json, { pid, pids, defaultedFds }, () => console.log(restored.pid));
  if (values.detach) {
    // The tree keeps running, re-parented when we exit; its 'pipe' ends (ours) close with us.
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
  // 'pipe' substitutes: relay the restored process's output to ours, and our stdin to it.
  restored.stdout?.pipe(process.stdout);
  restored.stderr?.pipe(process.stderr);
  if (restored.stdin) process.stdin.pipe(restored.stdin);
  const { code, signal } = await restored.exited;
  process.stdin.unpipe();
  process.stdin.pause();
  // Like a shell: 128 + the signal number when the root was killed.
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
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
