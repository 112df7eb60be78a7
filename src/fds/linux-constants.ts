// The Linux open-flag, file-mode and mmap bits node-criu decodes and writes, from /proc and in
// images alike (fd tables, memory maps, the simulator's images, SysV placeholders).

export const O_ACCMODE = 0o3;
export const O_RDWR = 0o2;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const PROT_NONE = 0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x100;
export const MAP_NORESERVE = 0x4000;
/** Character devices the fd tables call ttys. */
export const TTY_PATH = /^\/dev\/(pts\/\d+|tty\w*|console)$/;
