// What `inspect` tells about a checkpoint: plain JSON-safe objects (no bigint, null rather than
// undefined), documented field by field in docs/inspect-json.md.
import type { FdEntry } from '../fds/fd-entry.js';
import type { JsonInteger } from './json-safe.js';
import type { SysvAttachmentView, SysvView } from './sysv-types.js';

/** The format tag of a CheckpointView; changes only when a field changes meaning or goes away. */
export const INSPECT_FORMAT = 'node-criu-inspect/1';

/**
 * A task's state at dump time, from core-PID.img (`tc.task_state`): 1 running (TASK_ALIVE),
 * 3 stopped, 2 (TASK_DEAD, what CRIU writes for an exited, unreaped task) and 6 zombie; any other
 * value, or no core image, is unknown.
 */
export type TaskState = 'running' | 'stopped' | 'zombie' | 'unknown';

/**
 * What a memory area is, from its CRIU status bits (include/image.h VMA_AREA_*), its mmap flags
 * and the file behind it.
 */
export type VmaKind =
  | 'anon-private'
  | 'anon-shared'
  | 'file-private'
  | 'file-shared'
  | 'sysv'
  | 'memfd'
  | 'vdso'
  | 'vvar'
  | 'vsyscall'
  | 'stack'
  | 'heap'
  | 'other';

/** The kinds of namespace CRIU records per task (task_kobj_ids_entry). */
export type NamespaceKind = 'pid' | 'net' | 'ipc' | 'uts' | 'mnt' | 'user' | 'cgroup' | 'time';

/** CRIU's ids (not kernel inode numbers) of the namespaces of a task; null when not recorded. */
export type NamespaceIds = Record<NamespaceKind, number | null>;

/** One memory area (VMA) of a task, from mm-PID.img, with its dumped pages. */
export interface VmaView {
  /** First address, `0x` hex. */
  start: string;
  /** Address just past the end, `0x` hex. */
  end: string;
  /** end - start, in bytes. */
  size: JsonInteger;
  /** Protection as /proc/PID/maps shows it: `r`, `w`, `x` or `-` each, then `s` (shared) or `p`. */
  prot: string;
  /** What the area is (docs/inspect-json.md gives the rules, first match wins). */
  kind: VmaKind;
  /** The mapped file's path (file and memfd areas: `/memfd:NAME`), else null. */
  path: string | null;
  /** The files.img id of the mapped file, else null. */
  fileId: number | null;
  /** Offset in the file or shared object, in bytes (pgoff). */
  offset: JsonInteger;
  /**
   * The shared memory object behind a sysv, anon-shared or memfd area (for sysv the SysV shm id):
   * its pages are in pagemap-shmem-<shmid>.img. Null for other kinds.
   */
  shmid: number | null;
  /** Pages of this area in the task's pagemap with PE_PRESENT (their contents are in pages-N.img). */
  presentPages: number;
  /** presentPages * the page size (4096). */
  presentBytes: JsonInteger;
  /**
   * Of presentPages, those CRIU marked lazy (PE_LAZY: private anonymous memory, not locked, not
   * huge pages, not the page at the stack pointer): a lazy restore brings them in on demand and
   * in the background; every other page is restored before the tree runs.
   */
  lazyPages: number;
  /**
   * For areas with a shmid: present pages of the shared object inside this area's window
   * [offset, offset + size) (pagemap-shmem-<shmid>.img); null for other kinds or when that image is absent.
   */
  sharedPages: number | null;
  /** CRIU's raw status bits (VMA_AREA_*). */
  status: number;
  /** The raw mmap flags (MAP_SHARED 0x1, MAP_PRIVATE 0x2, MAP_ANONYMOUS 0x20, MAP_GROWSDOWN 0x100, ...). */
  flags: number;
}

/** The memory of one task. */
export interface MemoryView {
  /** The executable's path (mm exe_file_id -> files.img), or null. */
  exe: string | null;
  /** The pages image holding this task's private pages (`pages-N.img`), or null. */
  pagesImage: string | null;
  /** Every VMA, in address order. */
  vmas: VmaView[];
  /** The task's memory summed up. */
  totals: {
    /** `vmas.length`. */
    vmaCount: number;
    /** Sum of the VMA sizes. */
    mappedBytes: JsonInteger;
    /** Pages of the task's pagemap with PE_PRESENT, in any VMA or none. */
    presentPages: number;
    /** presentPages * the page size (4096). */
    presentBytes: JsonInteger;
  };
}

/** One task (process) of the dumped tree. */
export interface TaskView {
  /** Its pid (pstree.img). */
  pid: number;
  /** The parent's pid; 0 for the root (CRIU records no parent outside the tree). */
  ppid: number;
  /** Its process group (pstree.img). */
  pgid: number;
  /** Its session (pstree.img). */
  sid: number;
  /** Pids of the tasks whose ppid is this one, in pstree order. */
  children: number[];
  /** Number of threads (tids.length). */
  threadCount: number;
  /** Thread ids, the main thread first; a zombie's is its pid (CRIU records thread 0 for it). */
  tids: number[];
  /** The command name (comm, at most 15 bytes), or null when core-PID.img is missing. */
  command: string | null;
  /** Its state at dump time (see TaskState). */
  state: TaskState;
  /** The raw task_state value (1 alive, 2 dead i.e. zombie, 3 stopped, 6 zombie), or null. */
  stateCode: number | null;
  /**
   * For a zombie, how it ended (core tc.exit_code, a wait(2) status): `status` raw, `code` the
   * exit code when it exited, `signal` the signal number when it was killed. Null otherwise.
   */
  exit: { status: number; code: number | null; signal: number | null } | null;
  /** CRIU's namespace ids of the task (ids-PID.img), or null when not recorded (zombies). */
  namespaces: NamespaceIds | null;
  /** Null for tasks without a memory image (zombies). */
  memory: MemoryView | null;
  /** How many fds the task has (its rows in CheckpointView.fds). */
  fdCount: number;
}

/** One namespace used by a task of the tree. */
export interface NamespaceView {
  /** The kind of namespace. */
  kind: NamespaceKind;
  /** CRIU's id of it (as in ids-PID.img), not the kernel's inode number. */
  id: number;
  /**
   * True when it differs from the namespace CRIU ran in (inventory root_ids): the tree's own
   * namespace, whose state CRIU dumped. False when unknown.
   */
  own: boolean;
  /** The tasks in it, in pstree order. */
  pids: number[];
  /** The image files describing it (e.g. `ipcns-var-9.img`), sorted. */
  images: string[];
}

/** The namespaces of the tree: CRIU's own, and every one a task is in. */
export interface NamespacesView {
  /** The namespace ids of CRIU itself at dump time (inventory root_ids): usually the host's. */
  criu: NamespaceIds | null;
  /** Every (kind, id) used by a task, by kind then id. */
  list: NamespaceView[];
  /** Every namespace image file in the dir, whatever its id, sorted. */
  images: string[];
}

/** CRIU's dump statistics (stats-dump). Times in microseconds. */
export interface DumpStatsView {
  /** Time spent freezing the tree. */
  freezingTimeUs: number;
  /** How long the tree stayed frozen. */
  frozenTimeUs: number;
  /** Time spent collecting the tree's memory. */
  memdumpTimeUs: number;
  /** Time spent writing the page data. */
  memwriteTimeUs: number;
  /** Time spent resolving inotify watches' paths (irmap), or null when not recorded. */
  irmapResolveUs: number | null;
  /** Pages CRIU looked at. */
  pagesScanned: JsonInteger;
  /** Pages left in a parent's images (a pre-dump's), not written again. */
  pagesSkippedParent: JsonInteger;
  /** Pages written into the images. */
  pagesWritten: JsonInteger;
  /** Pages marked lazy (PE_LAZY): what a lazy restore brings in on demand. */
  pagesLazy: JsonInteger;
  /** Page pipes CRIU used to collect pages, or null when not recorded. */
  pagePipes: JsonInteger | null;
  /** Buffers of those page pipes, or null when not recorded. */
  pagePipeBufs: JsonInteger | null;
  /** Shared memory pages looked at, or null when not recorded. */
  shpagesScanned: JsonInteger | null;
  /** Shared memory pages left in a parent's images, or null when not recorded. */
  shpagesSkippedParent: JsonInteger | null;
  /** Shared memory pages written, or null when not recorded. */
  shpagesWritten: JsonInteger | null;
}

/** CRIU's restore statistics (stats-restore, written into the dir by a restore). Times in microseconds. */
export interface RestoreStatsView {
  /** Time spent recreating the tasks (forking). */
  forkingTimeUs: number;
  /** Time the whole restore took inside CRIU. */
  restoreTimeUs: number;
  /** Pages compared with the parent task's, to keep the identical ones shared copy-on-write. */
  pagesCompared: JsonInteger;
  /** Pages left shared copy-on-write with the parent task instead of copied. */
  pagesSkippedCow: JsonInteger;
  /** Pages copied into the tree, or null when not recorded. */
  pagesRestored: JsonInteger | null;
}

/** Facts only node-criu's manifest (node-criu.json) has; null for plain `criu dump` images. */
export interface ManifestFacts {
  /** When the checkpoint completed (ISO 8601). */
  createdAt: string;
  /** The version of the CRIU that dumped it, or null (the simulator). */
  criuVersion: string | null;
  /** Whether the tree was left running. */
  leftRunning: boolean;
  /** The dump options restore must repeat. */
  dumpOptions: { shellJob: boolean; tcpEstablished: boolean; fileLocks: boolean; extUnixSk: boolean };
  /** Paths of the shared file mappings the checkpoint left out. */
  leftOutMappings: string[];
  /**
   * Host-namespace SysV attachments (host mode): detached before CRIU ran, so their contents are
   * not in the images; restore attaches each to a live segment at the same address and access.
   */
  sysvAttachments: SysvAttachmentView[];
}

/** Everything `inspect` reads from a checkpoint's images. */
export interface CheckpointView {
  /** The shape's name and version (docs/inspect-json.md). */
  format: typeof INSPECT_FORMAT;
  /** The dir that was inspected, as given. */
  imagesDir: string;
  /** inventory.img facts, or null when it is missing. */
  inventory: {
    imgVersion: number;
    /** The CRIU run that dumped (dump_criu_run_id), or null. */
    criuRunId: string | null;
    /** Whether fdinfo images are per files id (true since CRIU 1.x) rather than per pid. */
    fdinfoPerId: boolean;
    /** Whether namespace images are per namespace id. */
    nsPerId: boolean;
    /** Plugins the dump used. */
    plugins: string[];
  } | null;
  /** The root task's pid (the first pstree entry). */
  root: number;
  /** Every task, in pstree order (the root first, a parent before its children). */
  tasks: TaskView[];
  /** Every fd of every task (see fdTableFromImages), by task then fd. */
  fds: FdEntry[];
  /** The SysV objects of each IPC namespace the dump holds; [] when none was dumped. */
  sysv: SysvView[];
  /** The namespaces the images hold, and which task is in which. */
  namespaces: NamespacesView;
  /** CRIU's measurements of the dump and of the last restore from this dir, null where it wrote none. */
  stats: { dump: DumpStatsView | null; restore: RestoreStatsView | null };
  /** What node-criu's manifest records, or null for images without one (plain `criu dump`). */
  manifest: ManifestFacts | null;
  /** The names of the files in the dir, sorted. */
  files: string[];
}
