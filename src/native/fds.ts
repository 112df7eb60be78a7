// Plain fd helpers (native/fd_flags.cc, fd_pairs.cc, pty.cc): the close-on-exec flag, and pipe,
// stream-socket and pty pairs whose raw fds the caller owns.
import { assertBoolean, assertFd } from './validate.js';

export interface PtyPair {
  master: number;
  slave: number;
  /** The slave's path, e.g. /dev/pts/3. */
  path: string;
}

/** The fd part of NativeAddon. */
export interface FdApi {
  setCloexec(fd: number, on: boolean): void;
  getCloexec(fd: number): boolean;
  /** pipe2(O_CLOEXEC): [read end, write end], raw fds owned by the caller. */
  pipePair(): [number, number];
  /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): two raw fds owned by the caller. */
  streamSocketPair(): [number, number];
  /** posix_openpt + the opened slave, both close-on-exec and not our controlling terminal. */
  openPty(): PtyPair;
}

/** The addon's fd exports: the same calls, unchecked. */
export type RawFdBinding = FdApi;

export function fdApi(raw: RawFdBinding): FdApi {
  return {
    setCloexec(fd, on) {
      assertFd(fd, 'fd');
      assertBoolean(on, 'on');
      raw.setCloexec(fd, on);
    },
    getCloexec(fd) {
      assertFd(fd, 'fd');
      return raw.getCloexec(fd);
    },
    pipePair: () => raw.pipePair(),
    streamSocketPair: () => raw.streamSocketPair(),
    openPty: () => raw.openPty(),
  };
}
