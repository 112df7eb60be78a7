// The Linux open-flag and file-mode bits the fd tables decode, from /proc and from images alike.

export const O_ACCMODE = 0o3;
export const O_RDWR = 0o2;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
/** Character devices the fd tables call ttys. */
export const TTY_PATH = /^\/dev\/(pts\/\d+|tty\w*|console)$/;
