// The CLI's SysV IPC flags as the library's sysv options: --sysv-snapshot and
// --sysv-leave-out-contents of dump, --shm, --sem and --msg of restore.
import { readFile } from 'node:fs/promises';
import type { HostObjectChoice } from '../sysv/restore-objects.js';
import type { SysvSelection } from '../sysv/snapshot-selection.js';
import type { ShmSubstitute } from '../sysv/substitutes.js';
import type { SysvRestoreOptions } from '../types.js';
import { integerArg } from './integer-arg.js';
import { UsageError } from './usage-error.js';

/** --sysv-snapshot values: a shmid, or sem:ID / msg:ID. */
export function sysvSelection(values: readonly string[]): SysvSelection | undefined {
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
export function contentsChoice(values: readonly string[]): number[] | 'all' | undefined {
  if (values.length === 0) return undefined;
  if (values.includes('all')) return 'all';
  return values.map((v) => integerArg(v, '--sysv-leave-out-contents') as number);
}

/** --shm OLD=NEW|key:K|same|snapshot|file:PATH values, by OLD; a file: substitute is read here. */
export async function shmSubstitutes(pairs: readonly string[]): Promise<Record<string, ShmSubstitute>> {
  const shm: Record<string, ShmSubstitute> = {};
  for (const pair of pairs) {
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
  return shm;
}

/** --shm, --sem ID=live|snapshot and --msg ID=live|snapshot as the restore's sysv option. */
export function sysvRestoreFlags(
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
