#!/usr/bin/env node
// The node-criu command line: a thin layer over the library (every command takes --json).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../criu/locate.js';
import { CriuError } from '../errors.js';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import {
  capabilitiesOf,
  check,
  checkpoint,
  type FdSubstitute,
  formatFdTable,
  readFdTable,
  restore,
  verifyImages,
} from '../index.js';
import type { HostObjectChoice } from '../sysv/restore-objects.js';
import type { SysvSelection } from '../sysv/snapshot.js';
import type { ShmSubstitute } from '../sysv/substitutes.js';
import type { SysvRestoreOptions } from '../types.js';
import { common } from './common-flags.js';
import { cmdDecode, cmdEncode, cmdShow, INSPECT_USAGE } from './inspect-commands.js';
import { printCheck, printCheckpoint } from './output.js';
import { UsageError, usageErrors } from './usage-error.js';

const USAGE = `Usage:
  node-criu check [--json]
  node-criu dump <pid> -D <dir> [--leave-running] [--shell-job] [--tcp-established]
                 [--file-locks] [--ext-unix-sk] [--external KEY]... [--leave-out FD]...
                 [--sysv-snapshot SHMID|sem:ID|msg:ID]... [--sysv-leave-out-contents SHMID|all]...
                 [--json]
  node-criu restore -D <dir> [--detach] [--fd [PID:]N=pipe|inherit|null|FD|PATH]... [--inherit-fd KEY=FD]...
                    [--external KEY]... [--shm OLD=NEW|key:K|same|snapshot|file:PATH]...
                    [--sem ID=live|snapshot]... [--msg ID=live|snapshot]... [--join-ns NS:FILE]...
                    [--no-verify]
                    [--allow-untrusted-images] [--json]
  node-criu verify -D <dir> [--json]
  node-criu fds -D <dir> [--json]
${INSPECT_USAGE}
  node-criu install-criu
Common: --criu PATH (the CRIU binary), --timeout MS, --log-level 0-4 (CRIU's log; default 2), -h/--help.`;

function integerArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a positive integer, got '${value}'.`);
  return Number(value);
}

function commonOptions(values: {
  criu?: string | undefined;
  timeout?: string | undefined;
  'log-level'?: string | undefined;
}) {
  const timeout = integerArg(values.timeout, '--timeout');
  const logLevel = integerArg(values['log-level'], '--log-level');
  if (logLevel !== undefined && logLevel > 4) throw new UsageError(`--log-level must be 0 to 4, got ${logLevel}.`);
  return {
    ...(values.criu ? { criuPath: values.criu } : {}),
    ...(timeout ? { timeout } : {}),
    ...(logLevel === undefined ? {} : { logLevel: logLevel as 0 | 1 | 2 | 3 | 4 }),
  };
}

function emit(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else human();
}

async function cmdCheck(args: string[]): Promise<number> {
  const { values } = usageErrors(() => parseArgs({ args, options: common, strict: true }));
  const result = await check(commonOptions(values));
  emit(values.json, result, () => printCheck(result));
  // Zero only when the backend reported can checkpoint real processes (the simulator cannot).
  return result.usable && capabilitiesOf(result.backend).has('real-processes') ? 0 : 1;
}

async function cmdDump(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...common,
        'images-dir': { type: 'string', short: 'D' },
        'leave-running': { type: 'boolean' },
        'shell-job': { type: 'boolean' },
        'tcp-established': { type: 'boolean' },
        'file-locks': { type: 'boolean' },
        'ext-unix-sk': { type: 'boolean' },
        external: { type: 'string', multiple: true },
        'leave-out': { type: 'string', multiple: true },
        'sysv-snapshot': { type: 'string', multiple: true },
        'sysv-leave-out-contents': { type: 'string', multiple: true },
      },
    }),
  );
  if (positionals.length !== 1) throw new UsageError('dump takes exactly one pid.');
  const snapshot = sysvSelection(values['sysv-snapshot'] ?? []);
  const leaveOutContents = contentsChoice(values['sysv-leave-out-contents'] ?? []);
  const pid = integerArg(positionals[0], 'pid') as number;
  if (!values['images-dir']) throw new UsageError('dump needs -D <dir>.');
  const cp = await checkpoint(pid, {
    ...commonOptions(values),
    imagesDir: values['images-dir'],
    leaveRunning: values['leave-running'] ?? false,
    shellJob: values['shell-job'] ?? false,
    tcpEstablished: values['tcp-established'] ?? false,
    fileLocks: values['file-locks'] ?? false,
    extUnixSk: values['ext-unix-sk'] ?? false,
    external: values.external ?? [],
    leaveOut: (values['leave-out'] ?? []).map((fd) => integerArg(fd, '--leave-out') as number),
    ...(snapshot || leaveOutContents
      ? { sysv: { ...(snapshot ? { snapshot } : {}), ...(leaveOutContents ? { leaveOutContents } : {}) } }
      : {}),
  });
  emit(values.json, cp, () => printCheckpoint(cp));
  return 0;
}

async function cmdRestore(args: string[]): Promise<number> {
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
  for (const pair of values.fd ?? []) {
    const m = /^(?:(\d+):)?(\d+)=(.+)$/.exec(pair);
    if (!m?.[2] || !m[3]) throw new UsageError(`--fd takes [PID:]N=pipe|inherit|null|FD|PATH, got '${pair}'.`);
    const sub = /^\d+$/.test(m[3]) ? Number(m[3]) : m[3];
    if (m[1] === undefined) fds[Number(m[2])] = sub;
    else
      fds[Number(m[1])] = { ...(fds[Number(m[1])] as Record<number, FdSubstitute> | undefined), [Number(m[2])]: sub };
  }
  const shm: Record<string, ShmSubstitute> = {};
  for (const pair of values.shm ?? []) {
    const m = /^(\d+|key:(?:0x[0-9a-fA-F]+|\d+))=(same|snapshot|\d+|key:(?:0x[0-9a-fA-F]+|\d+)|file:.+)$/.exec(pair);
    if (!m?.[1] || !m[2]) {
      throw new UsageError(`--shm takes OLD=NEW|key:K|same|snapshot|file:PATH (OLD a shmid or key:K), got '${pair}'.`);
    }
    const sub = m[2];
    shm[m[1]] =
      sub === 'same' || sub === 'snapshot'
        ? sub
        : sub.startsWith('key:')
          ? { key: Number(sub.slice(4)) }
          : sub.startsWith('file:')
            ? { data: await readFile(sub.slice(5)) }
            : Number(sub);
  }
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

/** --sysv-snapshot values: a shmid, or sem:ID / msg:ID. */
function sysvSelection(values: readonly string[]): SysvSelection | undefined {
  if (values.length === 0) return undefined;
  const selection: Required<{ [K in keyof SysvSelection]: number[] }> = { shm: [], sem: [], msg: [] };
  for (const value of values) {
    const m = /^(?:(sem|msg):)?(\d+)$/.exec(value);
    if (!m?.[2]) throw new UsageError(`--sysv-snapshot takes SHMID, sem:ID or msg:ID, got '${value}'.`);
    selection[(m[1] as 'sem' | 'msg' | undefined) ?? 'shm'].push(Number(m[2]));
  }
  return selection;
}

/** --sysv-leave-out-contents values: shmids, or 'all'. */
function contentsChoice(values: readonly string[]): number[] | 'all' | undefined {
  if (values.length === 0) return undefined;
  if (values.includes('all')) return 'all';
  return values.map((v) => integerArg(v, '--sysv-leave-out-contents') as number);
}

/** --shm, --sem ID=live|snapshot and --msg ID=live|snapshot as the restore's sysv option. */
function sysvRestoreFlags(
  shm: Record<string, ShmSubstitute>,
  sem: readonly string[],
  msg: readonly string[],
): { sysv?: SysvRestoreOptions } {
  const choices = (flag: string, pairs: readonly string[]) => {
    const out: Record<string, HostObjectChoice> = {};
    for (const pair of pairs) {
      const m = /^(\d+)=(live|snapshot)$/.exec(pair);
      if (!m?.[1] || !m[2]) throw new UsageError(`${flag} takes ID=live|snapshot, got '${pair}'.`);
      out[m[1]] = m[2] as HostObjectChoice;
    }
    return out;
  };
  const sysv: SysvRestoreOptions = {
    ...(Object.keys(shm).length > 0 ? { shm } : {}),
    ...(sem.length > 0 ? { sem: choices('--sem', sem) } : {}),
    ...(msg.length > 0 ? { msg: choices('--msg', msg) } : {}),
  };
  return Object.keys(sysv).length > 0 ? { sysv } : {};
}

/** Commands that read one images dir: `-D <dir>` and the common flags, nothing else. */
function imagesDirArgs(command: string, args: string[]): { dir: string; json: boolean } {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...common, 'images-dir': { type: 'string', short: 'D' } },
    }),
  );
  const dir = values['images-dir'];
  if (positionals.length > 0 || !dir) throw new UsageError(`${command} needs -D <dir> and nothing else.`);
  return { dir, json: values.json ?? false };
}

async function cmdVerify(args: string[]): Promise<number> {
  const { dir, json } = imagesDirArgs('verify', args);
  const result = await verifyImages(dir);
  emit(json, { ok: true, ...result }, () =>
    console.log(
      `${dir}: OK, ${Object.keys(result.manifest.files).length} files, ${result.digestsChecked} digests matched (${result.bytesHashed} bytes)`,
    ),
  );
  return 0;
}

async function cmdFds(args: string[]): Promise<number> {
  const { dir, json } = imagesDirArgs('fds', args);
  const table = await readFdTable(dir);
  emit(json, table, () => console.log(formatFdTable(table)));
  return 0;
}

function cmdInstallCriu(args: string[]): number {
  const { values } = usageErrors(() => parseArgs({ args, options: common, strict: true }));
  if (values.help) return usage(0);
  const r = spawnSync('bash', [join(PACKAGE_ROOT, 'scripts/install-criu.sh')], { stdio: 'inherit' });
  return r.status ?? 1;
}

function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${USAGE}\n`);
  return code;
}

const commands: Record<string, (args: string[]) => number | Promise<number>> = {
  check: cmdCheck,
  dump: cmdDump,
  restore: cmdRestore,
  verify: cmdVerify,
  fds: cmdFds,
  show: cmdShow,
  decode: cmdDecode,
  encode: cmdEncode,
  'install-criu': cmdInstallCriu,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') return usage(name ? 0 : 2);
  const command = commands[name];
  const json = rest.includes('--json');
  try {
    if (!command) throw new UsageError(`unknown command '${name}'.`);
    if (rest.includes('-h') || rest.includes('--help')) return usage(0);
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`node-criu: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    const e = error as Error & { code?: string; logPath?: string };
    if (json) {
      const detail =
        error instanceof CriuError
          ? { code: e.code, message: e.message, logPath: e.logPath }
          : { code: e.code, message: e.message };
      process.stderr.write(`${JSON.stringify({ error: detail })}\n`);
    } else {
      process.stderr.write(`node-criu: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
    }
    return error instanceof TypeError || error instanceof RangeError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
