// The one way the image codec reports a malformed image: CriuError IMAGE_CORRUPT with the file
// and the byte offset where decoding stopped.
import { basename } from 'node:path';
import { CriuError } from '../errors.js';

export function imageCorrupt(file: string, offset: number, what: string, cause?: unknown): CriuError {
  return new CriuError('IMAGE_CORRUPT', `${basename(file)} is corrupt at byte ${offset}: ${what}`, {
    operation: 'read-images',
    file,
    offset,
    cause,
  });
}
