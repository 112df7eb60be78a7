// Writes one CRIU image file with the images codec: its header from its name, then its entries.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { type DecodedImage, encodeImage, headerMagics, ImageEntry, resolveImageName } from '../images/codec.js';

export function entry<Desc extends DescMessage>(
  schema: Desc,
  init: MessageInitShape<Desc>,
  payload?: Uint8Array,
): ImageEntry {
  return ImageEntry.of(schema, create(schema, init), payload);
}

/** Encodes `entries` (or raw bytes, for pages-N.img) as image `name` in `dir`, private to its owner. */
export async function writeImageFile(dir: string, name: string, content: ImageEntry[] | Uint8Array): Promise<void> {
  const named = resolveImageName(name);
  if (!named) throw new RangeError(`${name} is not a CRIU image name.`);
  const raw = content instanceof Uint8Array;
  const image: DecodedImage = {
    file: name,
    type: named.type.name,
    id: named.id,
    magics: headerMagics(named.type.header, named.type.magic),
    entries: raw ? [] : content,
    ...(raw ? { trailing: content } : {}),
  };
  await writeFile(join(dir, name), encodeImage(image), { mode: 0o600 });
}
