// The kinds of image file CRIU writes: each one's name, file-name template and header
// (criu/image-desc.c's imgset_template, with the magics of criu/include/magic.h).
import { type ImageHeader, MAGIC, RAW_IMAGE_MAGIC } from './magic.js';

export interface ImageType {
  /** node-criu's name for the kind: CRIU's file name without its id and extension. */
  readonly name: string;
  /** CRIU's file-name template: `%u`/`%lu` a decimal id, `%x` a hex id, `%s` any word. */
  readonly fileName: string;
  readonly header: ImageHeader;
  /** The type magic (RAW_IMAGE_MAGIC for header `none`). */
  readonly magic: number;
}

function common(name: string, fileName: string, magic: number): ImageType {
  return { name, fileName, header: 'common', magic };
}

function raw(name: string, fileName: string): ImageType {
  return { name, fileName, header: 'none', magic: RAW_IMAGE_MAGIC };
}

/**
 * Every kind of image CRIU 4.2 can write, including the per-kind images older CRIUs wrote before
 * files.img and core-*.img absorbed them (still read by CRIU's restore). Not listed: the pre-1.x
 * layouts that reuse a current file name with another format (pages-%d with a pagemap header,
 * pages-shmem-%ld); such files are read as the current format or kept opaque.
 */
export const IMAGE_TYPES: readonly ImageType[] = [
  { name: 'inventory', fileName: 'inventory.img', header: 'inventory', magic: MAGIC.INVENTORY },
  common('fdinfo', 'fdinfo-%u.img', MAGIC.FDINFO),
  common('pagemap', 'pagemap-%lu.img', MAGIC.PAGEMAP),
  common('pagemap-shmem', 'pagemap-shmem-%lu.img', MAGIC.PAGEMAP),
  common('reg-files', 'reg-files.img', MAGIC.REG_FILES),
  common('ext-files', 'ext-files.img', MAGIC.EXT_FILES),
  common('ns-files', 'ns-files.img', MAGIC.NS_FILES),
  common('eventfd', 'eventfd.img', MAGIC.EVENTFD_FILE),
  common('eventpoll', 'eventpoll.img', MAGIC.EVENTPOLL_FILE),
  common('eventpoll-tfd', 'eventpoll-tfd.img', MAGIC.EVENTPOLL_TFD),
  common('signalfd', 'signalfd.img', MAGIC.SIGNALFD),
  common('inotify', 'inotify.img', MAGIC.INOTIFY_FILE),
  common('inotify-wd', 'inotify-wd.img', MAGIC.INOTIFY_WD),
  common('fanotify', 'fanotify.img', MAGIC.FANOTIFY_FILE),
  common('fanotify-mark', 'fanotify-mark.img', MAGIC.FANOTIFY_MARK),
  common('core', 'core-%u.img', MAGIC.CORE),
  common('ids', 'ids-%u.img', MAGIC.IDS),
  common('mm', 'mm-%u.img', MAGIC.MM),
  common('vmas', 'vmas-%u.img', MAGIC.VMAS),
  common('pipes', 'pipes.img', MAGIC.PIPES),
  common('pipes-data', 'pipes-data.img', MAGIC.PIPES_DATA),
  common('fifo', 'fifo.img', MAGIC.FIFO),
  common('fifo-data', 'fifo-data.img', MAGIC.FIFO_DATA),
  common('pstree', 'pstree.img', MAGIC.PSTREE),
  common('sigacts', 'sigacts-%u.img', MAGIC.SIGACT),
  common('unixsk', 'unixsk.img', MAGIC.UNIXSK),
  common('inetsk', 'inetsk.img', MAGIC.INETSK),
  common('packetsk', 'packetsk.img', MAGIC.PACKETSK),
  common('netlinksk', 'netlinksk.img', MAGIC.NETLINK_SK),
  common('sk-queues', 'sk-queues.img', MAGIC.SK_QUEUES),
  common('itimers', 'itimers-%u.img', MAGIC.ITIMERS),
  common('posix-timers', 'posix-timers-%u.img', MAGIC.POSIX_TIMERS),
  common('creds', 'creds-%u.img', MAGIC.CREDS),
  common('utsns', 'utsns-%u.img', MAGIC.UTSNS),
  common('ipcns-var', 'ipcns-var-%u.img', MAGIC.IPC_VAR),
  common('ipcns-shm', 'ipcns-shm-%u.img', MAGIC.IPCNS_SHM),
  common('ipcns-msg', 'ipcns-msg-%u.img', MAGIC.IPCNS_MSG),
  common('ipcns-sem', 'ipcns-sem-%u.img', MAGIC.IPCNS_SEM),
  common('fs', 'fs-%u.img', MAGIC.FS),
  common('remap-fpath', 'remap-fpath.img', MAGIC.REMAP_FPATH),
  common('ghost-file', 'ghost-file-%x.img', MAGIC.GHOST_FILE),
  common('memfd', 'memfd.img', MAGIC.MEMFD_INODE),
  common('tcp-stream', 'tcp-stream-%x.img', MAGIC.TCP_STREAM),
  common('mountpoints', 'mountpoints-%u.img', MAGIC.MNTS),
  common('netdev', 'netdev-%u.img', MAGIC.NETDEV),
  common('netns', 'netns-%u.img', MAGIC.NETNS),
  raw('ifaddr', 'ifaddr-%u.img'),
  raw('route', 'route-%u.img'),
  raw('route6', 'route6-%u.img'),
  raw('rule', 'rule-%u.img'),
  raw('iptables', 'iptables-%u.img'),
  raw('ip6tables', 'ip6tables-%u.img'),
  raw('nftables', 'nftables-%u.img'),
  raw('tmpfs', 'tmpfs-%u.tar.gz.img'),
  raw('tmpfs-dev', 'tmpfs-dev-%u.tar.gz.img'),
  common('autofs', 'autofs-%u.img', MAGIC.AUTOFS),
  common('binfmt-misc-old', 'binfmt-misc-%u.img', MAGIC.BINFMT_MISC),
  common('binfmt-misc', 'binfmt-misc.img', MAGIC.BINFMT_MISC),
  common('tty', 'tty.img', MAGIC.TTY_FILES),
  common('tty-info', 'tty-info.img', MAGIC.TTY_INFO),
  common('tty-data', 'tty-data.img', MAGIC.TTY_DATA),
  common('filelocks', 'filelocks.img', MAGIC.FILE_LOCKS),
  common('rlimit', 'rlimit-%u.img', MAGIC.RLIMIT),
  raw('pages', 'pages-%u.img'),
  common('signal-s', 'signal-s-%u.img', MAGIC.SIGNAL),
  common('signal-p', 'signal-p-%u.img', MAGIC.SIGNAL),
  common('tunfile', 'tunfile.img', MAGIC.TUNFILE),
  common('cgroup', 'cgroup.img', MAGIC.CGROUP),
  common('timerfd', 'timerfd.img', MAGIC.TIMERFD),
  common('cpuinfo', 'cpuinfo.img', MAGIC.CPUINFO),
  common('seccomp', 'seccomp.img', MAGIC.SECCOMP),
  common('userns', 'userns-%u.img', MAGIC.USERNS),
  raw('netns-ct', 'netns-ct-%u.img'),
  raw('netns-exp', 'netns-exp-%u.img'),
  common('files', 'files.img', MAGIC.FILES),
  common('timens', 'timens-%u.img', MAGIC.TIMENS),
  common('pidns', 'pidns-%u.img', MAGIC.PIDNS),
  common('bpfmap-file', 'bpfmap-file.img', MAGIC.BPFMAP_FILE),
  common('bpfmap-data', 'bpfmap-data.img', MAGIC.BPFMAP_DATA),
  common('apparmor', 'apparmor.img', MAGIC.APPARMOR),
  common('pidfd', 'pidfd.img', MAGIC.PIDFD),
  // The two service files have no .img extension.
  { name: 'stats', fileName: 'stats-%s', header: 'service', magic: MAGIC.STATS },
  { name: 'irmap-cache', fileName: 'irmap-cache', header: 'service', magic: MAGIC.IRMAP_CACHE },
];

const byName = new Map(IMAGE_TYPES.map((type) => [type.name, type]));

/** The image kind called `name` (e.g. `'core'`), or undefined. */
export function imageType(name: string): ImageType | undefined {
  return byName.get(name);
}
