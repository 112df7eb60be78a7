// What the entries of each kind of image are: which message type each entry is, and which raw
// bytes CRIU writes right after an entry (the payload). Every payload rule names the CRIU 4.2
// source that writes and reads it.
import type { DescMessage, Message, MessageShape } from '@bufbuild/protobuf';
import {
  BpfmapDataEntrySchema,
  BpfmapFileEntrySchema,
  EventfdFileEntrySchema,
  EventpollFileEntrySchema,
  EventpollTfdEntrySchema,
  ExtFileEntrySchema,
  FanotifyFileEntrySchema,
  FanotifyMarkEntrySchema,
  FdinfoEntrySchema,
  FifoEntrySchema,
  FileEntrySchema,
  FileLockEntrySchema,
  GhostChunkEntrySchema,
  GhostFileEntrySchema,
  InotifyFileEntrySchema,
  InotifyWdEntrySchema,
  MemfdInodeEntrySchema,
  NsFileEntrySchema,
  PidfdEntrySchema,
  PipeDataEntrySchema,
  PipeEntrySchema,
  RegFileEntrySchema,
  RemapFilePathEntrySchema,
  SignalfdEntrySchema,
  TimerfdEntrySchema,
  TunfileEntrySchema,
} from '../gen/criu_images_files_pb.js';
import {
  IpcMsgEntrySchema,
  IpcMsgSchema,
  IpcSemEntrySchema,
  IpcShmEntrySchema,
  IpcVarEntrySchema,
} from '../gen/criu_images_ipc_pb.js';
import { MmEntrySchema, PagemapEntrySchema, PagemapHeadSchema, VmaEntrySchema } from '../gen/criu_images_memory_pb.js';
import {
  PidnsEntrySchema,
  TimensEntrySchema,
  UsernsEntrySchema,
  UtsnsEntrySchema,
} from '../gen/criu_images_namespaces_pb.js';
import {
  InventoryEntrySchema,
  IrmapCacheEntrySchema,
  PstreeEntrySchema,
  StatsEntrySchema,
} from '../gen/criu_images_pb.js';
import {
  InetSkEntrySchema,
  NetlinkSkEntrySchema,
  PacketSockEntrySchema,
  SkPacketEntrySchema,
  TcpStreamEntrySchema,
  UnixSkEntrySchema,
} from '../gen/criu_images_sockets_pb.js';
import {
  CoreEntrySchema,
  CredsEntrySchema,
  FsEntrySchema,
  ItimerEntrySchema,
  PosixTimerEntrySchema,
  RlimitEntrySchema,
  SaEntrySchema,
  SeccompEntrySchema,
  SiginfoEntrySchema,
  TaskKobjIdsEntrySchema,
} from '../gen/criu_images_task_pb.js';
import { TtyDataEntrySchema, TtyFileEntrySchema, TtyInfoEntrySchema } from '../gen/criu_images_tty_pb.js';

/** The size of the raw bytes after an entry: a byte count, or everything up to the end of the file. */
export type PayloadSize = bigint | 'rest';

/** One kind of entry an image can hold. */
export interface EntryKind {
  /** Its message type; undefined for images node-criu keeps undecoded (the bytes stay exact). */
  readonly schema: DescMessage | undefined;
  /**
   * Present when raw bytes follow the entry: their size, from the entry's message. Kinds with a
   * payload have their message decoded while the image is read (they are all small).
   */
  readonly payload?: (message: Message) => PayloadSize;
}

/** Walks the entries of one image: which kind comes next depends on the ones before. */
export interface LayoutCursor {
  /** The kind of the next entry. */
  next(): EntryKind;
  /** Records the entry just read (of the kind `next()` gave), with its message if it has a payload. */
  read(message: Message | undefined): void;
  /** Why the image cannot end here (entries still expected), or undefined when it can. */
  unfinished(): string | undefined;
}

export interface ImageLayout {
  start(): LayoutCursor;
}

function kind<Desc extends DescMessage>(
  schema: Desc,
  payload?: (message: MessageShape<Desc>) => PayloadSize,
): EntryKind {
  return payload ? { schema, payload: payload as (message: Message) => PayloadSize } : { schema };
}

/** Rounds n up to a multiple of `to` (CRIU's round_up). */
function roundUp(n: bigint, to: bigint): bigint {
  return ((n + to - 1n) / to) * to;
}

/** Every entry is of one kind. */
function uniform(entry: EntryKind): ImageLayout {
  const cursor: LayoutCursor = { next: () => entry, read: () => {}, unfinished: () => undefined };
  return { start: () => cursor };
}

/** A head entry, then any number of entries of another kind. */
function headed(head: EntryKind, rest: EntryKind): ImageLayout {
  return {
    start() {
      let seenHead = false;
      return {
        next: () => (seenHead ? rest : head),
        read: () => {
          seenHead = true;
        },
        unfinished: () => (seenHead ? undefined : `its head entry (${head.schema?.typeName}) is missing`),
      };
    },
  };
}

/** Entries of images node-criu does not decode (cgroup.img, mountpoints-*.img, ...). */
const OPAQUE_ENTRIES = uniform({ schema: undefined });

/**
 * pipes-data.img and fifo-data.img: each pipe_data_entry is followed by `bytes` bytes of the
 * pipe's contents (criu/pipes.c: dump_one_pipe_data splices them right after pb_write_one;
 * pipe_data_read reads them back with read_img_buf).
 */
const PIPE_DATA = uniform(kind(PipeDataEntrySchema, (m) => BigInt(m.bytes)));

/**
 * ipcns-sem-*.img: each ipc_sem_entry is followed by its nsems semaphore values as u16, zero-padded
 * to a multiple of 8 bytes (criu/ipc_ns.c: dump_ipc_sem_set writes round_up(2 * nsems, 8) bytes;
 * prepare_ipc_sem_values reads the same).
 */
const IPC_SEM = uniform(kind(IpcSemEntrySchema, (m) => roundUp(2n * BigInt(m.nsems), 8n)));

/**
 * ipcns-shm-*.img: since CRIU 3.x (in_pagemaps set) a segment's contents are in
 * pagemap-shmem-<id>.img + pages; before, its size rounded up to 4 bytes of contents followed the
 * entry (criu/ipc_ns.c: prepare_ipc_shm_pages / restore_content, round_up(size, sizeof(u32))).
 */
const IPC_SHM = uniform(kind(IpcShmEntrySchema, (m) => (m.inPagemaps ? 0n : roundUp(m.size, 4n))));

/**
 * ipcns-msg-*.img: each queue's ipc_msg_entry is followed by its qnum messages, each an ipc_msg
 * entry then msize bytes of text zero-padded to a multiple of 8 (criu/ipc_ns.c:
 * dump_ipc_msg_queue_messages writes round_up(msize, sizeof(u64)); prepare_ipc_msg_queue_messages
 * reads the same).
 */
const IPC_MSG: ImageLayout = {
  start() {
    let messagesLeft = 0;
    const queue = kind(IpcMsgEntrySchema, () => 0n);
    const message = kind(IpcMsgSchema, (m) => roundUp(BigInt(m.msize), 8n));
    return {
      next: () => (messagesLeft > 0 ? message : queue),
      read: (entry) => {
        if (messagesLeft > 0) messagesLeft--;
        else messagesLeft = (entry as MessageShape<typeof IpcMsgEntrySchema>).qnum;
      },
      unfinished: () => (messagesLeft > 0 ? `${messagesLeft} message(s) of the last queue are missing` : undefined),
    };
  },
};

/**
 * ghost-file-<id>.img: a ghost_file_entry, then the file's contents. Files of 12 KiB or more are
 * written in chunks (chunks = true): ghost_chunk_entry {len, off} then len bytes, once per data
 * extent, up to the end of the file (criu/files-reg.c: copy_file_to_chunks / copy_file_from_chunks).
 * Smaller ones (and non-regular files: nothing) are the rest of the file, raw (copy_file).
 */
const GHOST_FILE: ImageLayout = {
  start() {
    let head = true;
    const ghost = kind(GhostFileEntrySchema, (m) => (m.chunks ? 0n : 'rest'));
    const chunk = kind(GhostChunkEntrySchema, (m) => m.len);
    return {
      next: () => (head ? ghost : chunk),
      read: () => {
        head = false;
      },
      unfinished: () => (head ? 'its ghost_file_entry is missing' : undefined),
    };
  },
};

/**
 * The layout of each kind of image (by ImageType name). Images with header `none` have no
 * entries; names missing here (cgroup, mountpoints, netdev, ...) hold entries node-criu keeps
 * undecoded.
 */
const LAYOUTS: Record<string, ImageLayout> = {
  inventory: uniform(kind(InventoryEntrySchema)),
  fdinfo: uniform(kind(FdinfoEntrySchema)),
  pagemap: headed(kind(PagemapHeadSchema), kind(PagemapEntrySchema)),
  'pagemap-shmem': headed(kind(PagemapHeadSchema), kind(PagemapEntrySchema)),
  'reg-files': uniform(kind(RegFileEntrySchema)),
  'ext-files': uniform(kind(ExtFileEntrySchema)),
  'ns-files': uniform(kind(NsFileEntrySchema)),
  eventfd: uniform(kind(EventfdFileEntrySchema)),
  eventpoll: uniform(kind(EventpollFileEntrySchema)),
  'eventpoll-tfd': uniform(kind(EventpollTfdEntrySchema)),
  signalfd: uniform(kind(SignalfdEntrySchema)),
  inotify: uniform(kind(InotifyFileEntrySchema)),
  'inotify-wd': uniform(kind(InotifyWdEntrySchema)),
  fanotify: uniform(kind(FanotifyFileEntrySchema)),
  'fanotify-mark': uniform(kind(FanotifyMarkEntrySchema)),
  core: uniform(kind(CoreEntrySchema)),
  ids: uniform(kind(TaskKobjIdsEntrySchema)),
  mm: uniform(kind(MmEntrySchema)),
  vmas: uniform(kind(VmaEntrySchema)),
  pipes: uniform(kind(PipeEntrySchema)),
  'pipes-data': PIPE_DATA,
  fifo: uniform(kind(FifoEntrySchema)),
  'fifo-data': PIPE_DATA,
  pstree: uniform(kind(PstreeEntrySchema)),
  sigacts: uniform(kind(SaEntrySchema)),
  unixsk: uniform(kind(UnixSkEntrySchema)),
  inetsk: uniform(kind(InetSkEntrySchema)),
  packetsk: uniform(kind(PacketSockEntrySchema)),
  netlinksk: uniform(kind(NetlinkSkEntrySchema)),
  // Each queued packet's `length` bytes follow its entry (criu/sk-queue.c: dump_sk_queue
  // write_img_buf after pb_write_one; collect_one_packet read_img_buf).
  'sk-queues': uniform(kind(SkPacketEntrySchema, (m) => BigInt(m.length))),
  itimers: uniform(kind(ItimerEntrySchema)),
  'posix-timers': uniform(kind(PosixTimerEntrySchema)),
  creds: uniform(kind(CredsEntrySchema)),
  utsns: uniform(kind(UtsnsEntrySchema)),
  'ipcns-var': uniform(kind(IpcVarEntrySchema)),
  'ipcns-shm': IPC_SHM,
  'ipcns-msg': IPC_MSG,
  'ipcns-sem': IPC_SEM,
  fs: uniform(kind(FsEntrySchema)),
  'remap-fpath': uniform(kind(RemapFilePathEntrySchema)),
  'ghost-file': GHOST_FILE,
  memfd: uniform(kind(MemfdInodeEntrySchema)),
  // The receive queue (inq_len bytes) then the send queue (outq_len bytes) follow the entry
  // (criu/sk-tcp.c: dump_tcp_conn_state write_img_buf twice; read_tcp_queues read_img_buf).
  'tcp-stream': uniform(kind(TcpStreamEntrySchema, (m) => BigInt(m.inqLen) + BigInt(m.outqLen))),
  tty: uniform(kind(TtyFileEntrySchema)),
  'tty-info': uniform(kind(TtyInfoEntrySchema)),
  // The queued bytes are the entry's `data` field: nothing follows (criu/tty.c: tty_do_dump_queued_data).
  'tty-data': uniform(kind(TtyDataEntrySchema)),
  filelocks: uniform(kind(FileLockEntrySchema)),
  rlimit: uniform(kind(RlimitEntrySchema)),
  // One siginfo_entry per pending signal (criu/cr-restore.c: open_signal_image reads PB_SIGINFO).
  'signal-s': uniform(kind(SiginfoEntrySchema)),
  'signal-p': uniform(kind(SiginfoEntrySchema)),
  tunfile: uniform(kind(TunfileEntrySchema)),
  timerfd: uniform(kind(TimerfdEntrySchema)),
  seccomp: uniform(kind(SeccompEntrySchema)),
  userns: uniform(kind(UsernsEntrySchema)),
  files: uniform(kind(FileEntrySchema)),
  timens: uniform(kind(TimensEntrySchema)),
  pidns: uniform(kind(PidnsEntrySchema)),
  'bpfmap-file': uniform(kind(BpfmapFileEntrySchema)),
  // keys_bytes of keys then values_bytes of values follow each entry (criu/bpfmap.c:
  // dump_one_bpfmap_data writes both; bpfmap_data_read reads keys_bytes + values_bytes).
  'bpfmap-data': uniform(kind(BpfmapDataEntrySchema, (m) => BigInt(m.keysBytes) + BigInt(m.valuesBytes))),
  pidfd: uniform(kind(PidfdEntrySchema)),
  stats: uniform(kind(StatsEntrySchema)),
  'irmap-cache': uniform(kind(IrmapCacheEntrySchema)),
};

/** The layout of the image kind `typeName`. */
export function imageLayout(typeName: string): ImageLayout {
  return LAYOUTS[typeName] ?? OPAQUE_ENTRIES;
}
