// Shared file mappings of a live tree (POSIX shm in /dev/shm, mmap'ed files), from /proc: CRIU
// dumps them as files whose contents stay in the file, so they can be substituted like files.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CriuError } from '../errors.js';
import { externalKey } from './criu-keys.js';

/** A shared file mapping (POSIX shm in /dev/shm, an mmap'ed file) of one task of a checkpointed tree. */
export interface MappingEntry {
  /** The task that has it mapped. */
  pid: number;
  /** The mapped address range, as /proc shows it (hex, e.g. `7f00a000-7f00b000`). */
  range: string;
  /** The mapped file. */
  path: string;
  /** The file's inode number. */
  inode: number;
  /** The mount the file is on: CRIU's key names it. */
  mountId: number;
  /** Whether the mapping can be written through (shared and writable) or only read. */
  access: 'r' | 'rw';
  /** The mapped file's size and mode at checkpoint: CRIU checks a substitute against both. */
  size: number;
  /** See `size`: st_mode (type and permission bits). */
  mode: number;
  /** CRIU's key for it when left out (`file[mnt:ino]`), also the inherit key at restore. */
  key: string;
  /** Left out of the checkpoint by `leaveOutMappings`: restore needs a substitute in `mappings`. */
  leftOut: boolean;
}

export type MappingRule = (mapping: Omit<MappingEntry, 'leftOut'>) => boolean;

/** Paths of mappings to leave out, or a predicate over the mapping rows. */
export type MappingAdvice = readonly string[] | ((mapping: Omit<MappingEntry, 'leftOut'>) => boolean);

export function mappingRule(advice: MappingAdvice | undefined): MappingRule | undefined {
  if (advice === undefined || typeof advice === 'function') return advice;
  const paths = new Set(advice);
  return (m) => paths.has(m.path);
}

export function assertMappingAdviceMatches(advice: MappingAdvice | undefined, mappings: readonly MappingEntry[]): void {
  if (advice === undefined || typeof advice === 'function') return;
  for (const path of advice) {
    if (!mappings.some((m) => m.path === path)) {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `leaveOutMappings names ${path}, which no task of the tree maps shared.`,
        {
          operation: 'checkpoint',
        },
      );
    }
  }
}

/** The mount id of the file behind a mapping, through an fd opened from map_files. */
function mountIdOf(mapFile: string): number {
  const fd = openSync(mapFile, 'r');
  try {
    return Number(/^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? 0);
  } finally {
    closeSync(fd);
  }
}

/** Shared mappings of regular files by the tasks `pids` (one row per task and file). */
export async function readTreeMappings(pids: readonly number[], leaveOut?: MappingRule): Promise<MappingEntry[]> {
  const out: MappingEntry[] = [];
  for (const pid of pids) {
    // Synchronous, as in proc-fds.ts: procfs never waits on a disk; the loop gets a turn per task.
    await nextTurn();
    let maps = '';
    try {
      maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      // exited meanwhile
    }
    const seen = new Set<number>();
    for (const line of maps.split('\n')) {
      // address perms offset dev inode path
      const m = /^([0-9a-f]+-[0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+(\d+)\s+(\/.*)$/.exec(line);
      if (!m?.[1] || !m[2] || !m[4] || m[2][3] !== 's' || m[4].startsWith('/SYSV') || m[4].endsWith(' (deleted)'))
        continue;
      const inode = Number(m[3]);
      if (seen.has(inode)) continue;
      seen.add(inode);
      const mapFile = `/proc/${pid}/map_files/${m[1]}`;
      let row: Omit<MappingEntry, 'leftOut'>;
      try {
        const st = statSync(mapFile);
        const mountId = mountIdOf(mapFile);
        row = {
          pid,
          range: m[1],
          path: m[4],
          inode,
          mountId,
          access: m[2][1] === 'w' ? 'rw' : 'r',
          size: st.size,
          mode: st.mode,
          key: externalKey({ type: 'file', inode, mountId }) as string,
        };
      } catch {
        continue; // unmapped meanwhile
      }
      out.push({ ...row, leftOut: leaveOut?.(row) ?? false });
    }
  }
  return out;
}
