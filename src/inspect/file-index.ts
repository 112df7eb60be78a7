// The open-file objects of a checkpoint, by id: files.img (one file_entry per object), the memfd
// inodes of memfd.img, and which regular files were deleted while open (remap-fpath.img).
import {
  type FileEntry,
  FileEntrySchema,
  type MemfdInodeEntry,
  MemfdInodeEntrySchema,
  type RegFileEntry,
  RemapFilePathEntrySchema,
  RemapType,
} from '../gen/criu_images_files_pb.js';
import type { ImageSet } from './image-set.js';

export interface FileIndex {
  /** files.img entries by id. */
  files: ReadonlyMap<number, FileEntry>;
  /** memfd.img inodes by their inode_id (what memfd_file_entry.inode_id points to). */
  memfdInodes: ReadonlyMap<number, MemfdInodeEntry>;
  /** Ids of regular files CRIU remapped because they had been unlinked (ghost or linked remap). */
  deleted: ReadonlySet<number>;
}

/** Reads the file objects of `images` (empty maps for a dump without files.img). */
export async function readFileIndex(images: ImageSet): Promise<FileIndex> {
  const files = new Map<number, FileEntry>();
  for (const file of await images.messages('files.img', FileEntrySchema)) files.set(file.id, file);
  const memfdInodes = new Map<number, MemfdInodeEntry>();
  for (const inode of await images.messages('memfd.img', MemfdInodeEntrySchema)) {
    memfdInodes.set(Number(inode.inodeId), inode);
  }
  const deleted = new Set<number>();
  for (const remap of await images.messages('remap-fpath.img', RemapFilePathEntrySchema)) {
    if (remap.remapType === RemapType.GHOST || remap.remapType === RemapType.LINKED) deleted.add(remap.origId);
  }
  return { files, memfdInodes, deleted };
}

/** The regular-file entry a file object opens: its own, or that of the FIFO or tty it is. */
export function regOf(index: FileIndex, file: FileEntry | undefined): RegFileEntry | undefined {
  if (!file) return undefined;
  if (file.reg) return file.reg;
  const regfId = file.fifo?.regfId ?? file.tty?.regfId;
  return regfId === undefined || regfId === 0 ? undefined : index.files.get(regfId)?.reg;
}

/** The memfd inode of a memfd file object. */
export function memfdInodeOf(index: FileIndex, file: FileEntry | undefined): MemfdInodeEntry | undefined {
  return file?.memfd ? index.memfdInodes.get(file.memfd.inodeId) : undefined;
}

/**
 * The path of a file object as /proc shows it (without ` (deleted)`): a regular file's, FIFO's or
 * tty's name, `/memfd:NAME` for a memfd; undefined for the rest and for external files (whose name
 * is their `file[MNT:INO]` key).
 */
export function pathOf(index: FileIndex, file: FileEntry | undefined): string | undefined {
  const memfd = memfdInodeOf(index, file);
  if (memfd) return `/memfd:${memfd.name}`;
  const reg = regOf(index, file);
  if (!reg || reg.ext) return undefined;
  return reg.name;
}
