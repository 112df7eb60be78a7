// Small files read whole, several in one call (native/read_files.cc): a checkpoint's images.
import { argumentError } from './validate.js';

/** One file readWholeFiles read: its size, and its identity and change time before it was read. */
export interface WholeFile {
  size: number;
  /** Device, inode and change time (ns): decimal strings, as fstat with bigint gives them. */
  dev: string;
  ino: string;
  ctimeNs: string;
}

/** The whole-files part of NativeAddon. */
export interface WholeFilesApi {
  /**
   * Reads the regular files `names` of `dir`, in order, each whole, one after the other into
   * `buffer` from its start, and stops at the first that does not fit in what is left (or grew
   * while it was read): the first `n` files are read, `n` being the length of the result. A link
   * is not followed. Throws a system error naming the file that cannot be opened or read.
   */
  readWholeFiles(dir: string, names: readonly string[], buffer: Buffer): WholeFile[];
}

/** The addon's export: four values per file read (size, dev, ino, ctimeNs), unchecked. */
export interface RawWholeFilesBinding {
  readWholeFiles(dir: string, names: readonly string[], buffer: Buffer): (number | string)[];
}

export function wholeFilesApi(raw: RawWholeFilesBinding): WholeFilesApi {
  return {
    readWholeFiles(dir, names, buffer) {
      if (typeof dir !== 'string' || dir.length === 0) {
        throw argumentError('dir must be a non-empty string.', 'ERR_INVALID_ARG_TYPE');
      }
      // Each name is checked by the addon as it comes to it: a call reads a few of a long list.
      if (!Array.isArray(names)) throw argumentError('names must be an array of file names.', 'ERR_INVALID_ARG_TYPE');
      if (!Buffer.isBuffer(buffer)) throw argumentError('buffer must be a Buffer.', 'ERR_INVALID_ARG_TYPE');
      const flat = raw.readWholeFiles(dir, names, buffer);
      const files: WholeFile[] = [];
      for (let i = 0; i < flat.length; i += 4) {
        const [size, dev, ino, ctimeNs] = flat.slice(i, i + 4) as [number, string, string, string];
        files.push({ size, dev, ino, ctimeNs });
      }
      return files;
    },
  };
}
