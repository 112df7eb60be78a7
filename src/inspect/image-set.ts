// The images of one checkpoint, read on demand: which files the dir holds, and each image decoded
// once (inspect and the images' fd table read the same few files many times).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { CriuError } from '../errors.js';
import { type DecodedImage, readImage } from '../images/codec.js';

/** The image files of an images dir, each decoded the first time it is asked for. */
export class ImageSet {
  readonly #cache = new Map<string, Promise<DecodedImage>>();

  private constructor(
    /** The images dir. */
    readonly dir: string,
    /** The names of the files in it. */
    readonly names: ReadonlySet<string>,
  ) {}

  /**
   * Lists `dir`. Throws CriuError INVALID_IMAGES when it cannot be read or holds no pstree.img
   * (every CRIU dump writes one).
   */
  static async open(dir: string): Promise<ImageSet> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (cause) {
      throw new CriuError('INVALID_IMAGES', `Cannot read the images dir ${dir}: ${(cause as Error).message}.`, {
        operation: 'read-images',
        cause,
      });
    }
    if (!names.includes('pstree.img')) {
      throw new CriuError('INVALID_IMAGES', `${dir} is not a CRIU checkpoint: it has no pstree.img.`, {
        operation: 'read-images',
      });
    }
    return new ImageSet(dir, new Set(names));
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The decoded image `name`, or undefined when the dir has no such file. */
  async read(name: string): Promise<DecodedImage | undefined> {
    if (!this.names.has(name)) return undefined;
    let image = this.#cache.get(name);
    if (!image) {
      image = readImage(join(this.dir, name));
      this.#cache.set(name, image);
    }
    return image;
  }

  /** The messages of every `schema` entry of image `name` ([] when the file is absent). */
  async messages<Desc extends DescMessage>(name: string, schema: Desc): Promise<MessageShape<Desc>[]> {
    const image = await this.read(name);
    if (!image) return [];
    return image.entries.filter((entry) => entry.is(schema)).map((entry) => entry.as(schema));
  }

  /** The first `schema` entry of image `name`, or undefined. */
  async first<Desc extends DescMessage>(name: string, schema: Desc): Promise<MessageShape<Desc> | undefined> {
    const image = await this.read(name);
    return image?.entries.find((entry) => entry.is(schema))?.as(schema);
  }
}
