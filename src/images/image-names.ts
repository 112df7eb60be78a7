// Which kind of image a file is, from its name (CRIU names every image after its kind and id).
import { basename } from 'node:path';
import { IMAGE_TYPES, type ImageType } from './image-types.js';

export interface ImageName {
  type: ImageType;
  /** The id in the name as written (`'1234'` for core-1234.img, `'dump'` for stats-dump). */
  id: string | undefined;
}

/** printf conversions of CRIU's templates -> what they print. */
const conversions: Record<string, string> = {
  '%u': '(\\d+)',
  '%lu': '(\\d+)',
  '%d': '(-?\\d+)',
  '%ld': '(-?\\d+)',
  '%x': '([0-9a-f]+)',
  '%s': '(.+)',
};

function templateToRegExp(template: string): RegExp {
  const source = template
    .split(/(%l?[udxs])/)
    .map((part, i) => (i % 2 === 1 ? (conversions[part] ?? '') : part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

// Templates are anchored at both ends, so no two of them match one name
// (pagemap-%lu cannot match pagemap-shmem-5.img: `shmem-5` is not a number).
const patterns = IMAGE_TYPES.map((type) => ({ type, pattern: templateToRegExp(type.fileName) }));

/**
 * The kind of image `fileName` is (a bare name or a path: only the last component counts), or
 * undefined for a file CRIU does not name that way (dump.log, a plugin's image, ...).
 */
export function resolveImageName(fileName: string): ImageName | undefined {
  const name = basename(fileName);
  for (const { type, pattern } of patterns) {
    const match = pattern.exec(name);
    if (match) return { type, id: match[1] };
  }
  return undefined;
}
