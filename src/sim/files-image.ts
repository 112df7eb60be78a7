// files.img of a simulated dump: every file object the tree's fds and tasks refer to (pipes,
// unix sockets, regular files and dirs), with its id in the order CRIU would meet them.
import { FdType, FileEntrySchema } from '../gen/criu_images_files_pb.js';
import type { ImageEntry } from '../images/codec.js';
import type { SimFdRow } from './fd-rows.js';
import { entry } from './image-files.js';
import type { SimFile } from './model.js';

/** CRIU's constants for what the images record (criu/include/image.h). */
const SOCK_STREAM = 1;
const TCP_ESTABLISHED = 1;
const USK_EXTERN = 1;

const fown = { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 };
const skOpts = {
  soSndbuf: 212992,
  soRcvbuf: 212992,
  soSndTmoSec: 0n,
  soSndTmoUsec: 0n,
  soRcvTmoSec: 0n,
  soRcvTmoUsec: 0n,
};

/** Gives every object of files.img its id, in the order CRIU would meet them. */
export class FileIds {
  next = 1;
  readonly entries: ImageEntry[] = [];
  readonly #ids = new Map<SimFile | string, number>();

  reg(name: string, mode: number): number {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    const id = this.next++;
    this.#ids.set(name, id);
    this.entries.push(
      entry(FileEntrySchema, {
        type: FdType.REG,
        id,
        reg: { id, flags: 0, pos: 0n, fown, name, mode, size: 0n },
      }),
    );
    return id;
  }

  file(row: SimFdRow): { id: number; type: FdType } {
    const file = row.file;
    const known = this.#ids.get(file);
    const type = file.kind === 'pipe' ? FdType.PIPE : file.kind === 'unix' ? FdType.UNIXSK : FdType.REG;
    if (known !== undefined) return { id: known, type };
    const id = this.next++;
    this.#ids.set(file, id);
    if (file.kind === 'pipe') {
      this.entries.push(
        entry(FileEntrySchema, { type, id, pipe: { id, pipeId: file.inode, flags: file.flags, fown } }),
      );
    } else if (file.kind === 'unix') {
      const peer = file.peer ?? 0;
      if (peer && row.peer && !row.peer.inTree) {
        // CRIU records the outside end as a stub marked external.
        const stub = this.next++;
        this.entries.push(
          entry(FileEntrySchema, {
            type,
            id: stub,
            usk: {
              id: stub,
              ino: peer,
              type: 2,
              state: 10,
              flags: 0,
              uflags: USK_EXTERN,
              backlog: 0,
              peer: 0,
              fown,
              opts: { ...skOpts, soSndbuf: 0, soRcvbuf: 0 },
              name: new Uint8Array(),
            },
          }),
        );
      }
      this.entries.push(
        entry(FileEntrySchema, {
          type,
          id,
          usk: {
            id,
            ino: file.inode,
            type: SOCK_STREAM,
            state: TCP_ESTABLISHED,
            flags: file.flags,
            uflags: 0,
            backlog: 0,
            peer,
            fown,
            opts: skOpts,
            name: new Uint8Array(),
          },
        }),
      );
    } else {
      const external = row.leftOut && row.externalKey !== undefined;
      this.entries.push(
        entry(FileEntrySchema, {
          type,
          id,
          reg: {
            id,
            flags: file.flags,
            pos: BigInt(file.position),
            fown,
            // An external file is named by its key (criu/files-reg.c).
            name: external ? (row.externalKey as string) : (file.path ?? ''),
            size: BigInt(file.size),
            mode: file.mode,
            ...(external ? { ext: true } : {}),
          },
        }),
      );
    }
    return { id, type };
  }
}
