// One process's fd table from /proc in one call (native/proc_fds.cc): what a checkpoint reads of
// the frozen tree while CRIU waits.
import { assertPid } from './validate.js';

/** What the stat of an fd's target gives (numbers, as Node's fs.statSync gives them). */
export interface ProcFdStat {
  ino: number;
  uid: number;
  gid: number;
  mode: number;
  size: number;
  rdev: number;
  dev: number;
}

/** One fd as /proc shows it. */
export interface ProcFd {
  fd: number;
  /** The target of /proc/PID/fd/FD. */
  target: string;
  /** The text of /proc/PID/fdinfo/FD. */
  info: string;
  /** The stat of what the fd reaches; undefined where that is out of reach. */
  stat: ProcFdStat | undefined;
}

/** The proc-fds part of NativeAddon. */
export interface ProcFdsApi {
  /**
   * The fds of `pid`, ascending: each one's link target, fdinfo text and the stat of its target.
   * An fd closed while it is read is left out; a process that is gone, or whose fds this process
   * may not read, has none.
   */
  readProcFds(pid: number): ProcFd[];
}

/** The addon's export: ten values per fd (fd, target, info, then the stat's seven, -1 if none). */
export interface RawProcFdsBinding {
  readProcFds(pid: number): (number | string)[];
}

/** The stat's seven values in the addon's result: ino, uid, gid, mode, size, rdev, dev. */
type StatValues = [number, number, number, number, number, number, number];

/** Values per fd in the addon's flat result. */
const PER_FD = 10;

export function procFdsApi(raw: RawProcFdsBinding): ProcFdsApi {
  return {
    readProcFds(pid) {
      assertPid(pid);
      const flat = raw.readProcFds(pid);
      const fds: ProcFd[] = [];
      for (let i = 0; i < flat.length; i += PER_FD) {
        const row = flat.slice(i, i + PER_FD);
        const [fd, target, info] = row as [number, string, string];
        const [ino, uid, gid, mode, size, rdev, dev] = row.slice(3) as StatValues;
        const stat = ino === -1 ? undefined : { ino, uid, gid, mode, size, rdev, dev };
        fds.push({ fd, target, info, stat });
      }
      return fds;
    },
  };
}
