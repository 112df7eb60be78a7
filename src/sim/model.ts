// The simulator's kernel objects: open files, memory regions and the stream ends that connect
// a simulated process to the real world (its parent's stdio, a restore's substitutes).
import type { Duplex } from 'node:stream';

/** The kinds of open file the simulator models. */
export type SimFileKind = 'file' | 'pipe' | 'unix' | 'tty' | 'memfd';

/**
 * Where a file's bytes really go. `stream`: a Node stream the process reads and writes (a
 * parent's end of its stdio, the other end of a `'pipe'` substitute); `fd`: a real fd of this
 * Node process (a substitute file, /dev/null, the restorer's own fd). `owned`: closed with the file.
 */
export interface HostEnd {
  /** A Node stream the process reads and writes. */
  stream?: Duplex | undefined;
  /** A real fd of this Node process. */
  fd?: number | undefined;
  /** Closed with the file. */
  owned: boolean;
}

/** An open file description, shared by the fds (and processes) that hold it. */
export interface SimFile {
  /** What kind of file it is. */
  kind: SimFileKind;
  /** For sockets, pipes, memfds: the object's inode; for files: the file's inode (0 if unknown). */
  inode: number;
  /** The mount it is on (0 for the simulator's own objects). */
  mountId: number;
  /** Files, ttys: the path; memfds: the memfd name. */
  path: string | undefined;
  /** Open flags (O_ACCMODE, O_APPEND, O_NONBLOCK ...). */
  flags: number;
  /** The file position. */
  position: number;
  /** st_mode (type and permission bits). */
  mode: number;
  /** Size in bytes. */
  size: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** Pipes and sockets: the other end's inode (a pipe's other end shares its inode). */
  peer: number | undefined;
  /** Ttys: the device numbers CRIU keys them by. */
  rdev?: number | undefined;
  /** See `rdev`. */
  dev?: number | undefined;
  /** Memfds: the contents. */
  data?: Buffer | undefined;
  /** Set when the bytes go somewhere outside the simulator. */
  host: HostEnd | undefined;
  /** How many fds (over all processes) hold it; the host end is released at 0. */
  refs: number;
}

/** A mapping of a process: a Buffer holds its bytes. */
export interface SimRegion {
  /** The program's name for it ('state', 'args', ...); 'sysv' for an attached SysV segment. */
  name: string;
  /** Its first address. */
  start: number;
  /** Whole pages. */
  data: Buffer;
  /** MAP_SHARED (a SysV segment, whose Buffer is the segment's) or private. */
  shared: boolean;
  /** Whether the process may write it. */
  writable: boolean;
  /** For SysV attachments: the segment's id. */
  shmid?: number | undefined;
}

export const PAGE_SIZE = 4096;

export function pageAlign(size: number): number {
  return Math.max(PAGE_SIZE, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
}

/** A simulated process's state. */
export type SimState = 'running' | 'stopped' | 'exited';
