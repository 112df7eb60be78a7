// The fd table of a checkpoint read from its images alone (for plain `criu dump` images, which
// have no node-criu manifest): ids-PID.img gives a task's files_id, fdinfo-<files_id>.img its fds
// (number, close-on-exec, type, file id) and files.img what each file object is. The rows have
// the shape of the manifest's table (FdEntry); what the images do not record is documented on
// fdTableFromImages.
import { FdinfoEntrySchema } from '../gen/criu_images_files_pb.js';
import { InventoryEntrySchema } from '../gen/criu_images_pb.js';
import { TtyInfoEntrySchema } from '../gen/criu_images_tty_pb.js';
import { type FileIndex, readFileIndex } from '../inspect/file-index.js';
import { ImageSet } from '../inspect/image-set.js';
import { readTasks, type TaskFacts } from '../inspect/tasks.js';
import { describeFileObject } from './describe-file-object.js';
import type { FdEntry } from './fd-entry.js';
import type { RawRow } from './image-fd-row.js';
import { withTreeFacts } from './image-fd-tree-facts.js';
import { O_APPEND, O_CLOEXEC, O_NONBLOCK } from './linux-constants.js';
import { accessOf } from './proc-fds.js';

/** fdinfo_entry.flags holds the fd flags: FD_CLOEXEC is bit 0. */
const FD_CLOEXEC = 1;

/** fdinfo-<files_id>.img when fdinfo images are per files id (inventory), else fdinfo-<pid>.img. */
function fdinfoImage(task: TaskFacts, perId: boolean): string | undefined {
  if (!perId) return `fdinfo-${task.pid}.img`;
  return task.ids ? `fdinfo-${task.ids.filesId}.img` : undefined;
}

/**
 * The fd table of already opened images (see fdTableFromImages), for callers that read other
 * images of the same checkpoint too.
 */
export async function fdTableFromImageSet(
  images: ImageSet,
  tasks: readonly TaskFacts[],
  files: FileIndex,
): Promise<FdEntry[]> {
  const inventory = await images.first('inventory.img', InventoryEntrySchema);
  const perId = inventory?.fdinfoPerId ?? true;
  const ttys = new Map((await images.messages('tty-info.img', TtyInfoEntrySchema)).map((t) => [t.id, t]));
  const raw: RawRow[] = [];
  for (const task of tasks) {
    const name = fdinfoImage(task, perId);
    if (name === undefined) continue;
    const fds = (await images.messages(name, FdinfoEntrySchema)).sort((a, b) => a.fd - b.fd);
    for (const fdinfo of fds) {
      const { fileFlags, external, unixPeer, ...described } = describeFileObject(files, ttys, fdinfo.type, fdinfo.id);
      const cloexec = (fdinfo.flags & FD_CLOEXEC) !== 0;
      const flags = (fileFlags | (cloexec ? O_CLOEXEC : 0)) >>> 0;
      raw.push({
        pid: task.pid,
        fd: fdinfo.fd,
        ...described,
        access: accessOf(flags),
        flags,
        append: (flags & O_APPEND) !== 0,
        nonblock: (flags & O_NONBLOCK) !== 0,
        cloexec,
        external: external ?? false,
        unixPeer: unixPeer ?? 0,
      });
    }
  }
  return withTreeFacts(raw);
}

/**
 * The fd table of the checkpoint in `imagesDir`, from its images only: one row per fd of every
 * task, tasks in pstree order, fds ascending. Works for plain `criu dump` images.
 *
 * Derived exactly: pid, fd, type, access, flags (the file's open flags plus O_CLOEXEC from the fd
 * flags), append, nonblock, cloexec, position (regular files, memfds), inode of pipes, FIFOs,
 * sockets, memfds and pidfds, path and target of files, dirs, FIFOs, ttys and memfds, mode of
 * files (reg `mode`) and memfds, size where CRIU recorded it (files it checks the size of,
 * memfds), peers of unix sockets and pipes, `key`, `leftOut` and `externalKey` as below.
 *
 * Not recorded in the images, so given a fixed value:
 * - uid and gid: -1, except memfds (their inode) and ttys (tty-info) that record them;
 * - mountId: -1 unless recorded (reg `mnt_id`, only in dumps of a mount namespace, or the key of
 *   an external file);
 * - inode of regular files and dirs (0; an external file's comes from its key), and the mode of
 *   pipes, sockets and anon inodes is the kernel's fixed one (0o10600, 0o140777, 0o600);
 * - target of ns files (`ipc:[?]`) and of packet sockets (`socket:[0]`);
 * - size of files CRIU did not check (written with O_APPEND, dirs, devices): 0.
 *
 * Tree-wide facts follow the rules of the table read from /proc: a unix socket's peer is in the
 * tree iff some task of the images holds a unix socket of the peer's inode; a pipe's iff some
 * task holds the pipe with the other access; a pty slave's iff some task holds /dev/ptmx. An fd is
 * `leftOut` when CRIU recorded its resource as external (a reg or FIFO entry with `ext`, whose
 * name is the `file[MNT:INO]` key; a tty of type EXT_TTY), or when its other end is not in the
 * images (a unix socket whose peer is not in the tree, a pipe whose other end is not): fds left
 * out by choice whose other end is in the tree cannot be told apart. `externalKey` needs the
 * mount id and inode for files and FIFOs (so it is undefined for most of them), tty-info's rdev
 * and dev for ttys. `key` is the external key for left-out fds (but unix sockets, and pipes,
 * which have none), else inheritKey.
 */
export async function fdTableFromImages(imagesDir: string): Promise<FdEntry[]> {
  const images = await ImageSet.open(imagesDir);
  return fdTableFromImageSet(images, await readTasks(images), await readFileIndex(images));
}
