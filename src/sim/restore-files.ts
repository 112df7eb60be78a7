// The files of a simulated restored task: what the image says, or the caller's substitute.
import { open } from 'node:fs/promises';
import { Duplex, Readable, Writable } from 'node:stream';
import { CriuError } from '../errors.js';
import { O_ACCMODE, O_APPEND } from '../fds/linux-constants.js';
import type { FdSubstitutions } from '../fds/substitute.js';
import { streamFd } from '../fds/substitute-form.js';
import { FdType, type FileEntry } from '../gen/criu_images_files_pb.js';
import { hostFile } from './host-file.js';
import type { SimFile } from './model.js';
import type { SimWorld } from './world.js';

/** The duplex streams among the caller's substitutes (root table and per-pid tables). */
export function callerStreamsOf(subs: FdSubstitutions | undefined): Duplex[] {
  const out: Duplex[] = [];
  const visit = (v: unknown) => {
    if (v instanceof Duplex) out.push(v);
    else if (typeof v === 'object' && v !== null && !(v instanceof Readable) && !(v instanceof Writable)) {
      for (const inner of Object.values(v)) visit(inner);
    }
  };
  for (const v of Object.values(subs ?? {})) visit(v);
  return out.filter((s) => streamFd(s) !== undefined);
}
const S_IFSOCK = 0o140000;

/** A file of the image that nothing substitutes: reopened by path, or an end with nothing behind it. */
export async function fileFromImage(file: FileEntry, world: SimWorld): Promise<SimFile> {
  const base = { position: 0, uid: 0, gid: 0, refs: 0, host: undefined, mountId: 0, size: 0 } as const;
  if (file.type === FdType.PIPE && file.pipe) {
    return {
      ...base,
      kind: 'pipe',
      inode: file.pipe.pipeId,
      path: undefined,
      flags: file.pipe.flags,
      mode: 0o10600,
      peer: file.pipe.pipeId,
    };
  }
  if (file.type === FdType.UNIXSK && file.usk) {
    return {
      ...base,
      kind: 'unix',
      inode: file.usk.ino,
      path: undefined,
      flags: file.usk.flags,
      mode: S_IFSOCK | 0o777,
      peer: file.usk.peer,
    };
  }
  const reg = file.reg;
  if (file.type === FdType.REG && reg && !reg.ext) {
    const handle = await open(reg.name, reg.flags & (O_ACCMODE | O_APPEND)).catch((error: Error) => {
      throw new CriuError('RESTORE_FAILED', `The simulator cannot reopen ${reg.name}: ${error.message}.`, {
        operation: 'restore',
        cause: error,
      });
    });
    const described = hostFile(handle.fd, true, reg.flags);
    return {
      ...described,
      path: reg.name,
      flags: reg.flags,
      position: Number(reg.pos),
      inode: described.inode || world.nextInode(),
    };
  }
  throw new CriuError(
    'INVALID_IMAGES',
    `files.img entry ${file.id} (type ${file.type}) is not one the simulator restores.`,
    {
      operation: 'restore',
    },
  );
}
