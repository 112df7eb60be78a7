// Memory for reads that are reused across calls (native/dont_fork_buffer.cc).
import { argumentError } from './validate.js';

/** The memory part of NativeAddon. */
export interface MemoryApi {
  /**
   * `size` bytes (1 byte to 1 GiB) of fresh memory, already faulted in, that a child forked from
   * this process does not share (MADV_DONTFORK): a fork never write-protects it, so a write into it
   * never faults after one. Freed when the Buffer is collected.
   */
  dontForkBuffer(size: number): Buffer;
}

/** The addon's memory export: the same call, unchecked. */
export type RawMemoryBinding = MemoryApi;

export function memoryApi(raw: RawMemoryBinding): MemoryApi {
  return {
    dontForkBuffer(size) {
      if (!Number.isSafeInteger(size) || size < 1 || size > 2 ** 30) {
        throw argumentError('size must be an integer from 1 to 2 ** 30.', 'ERR_OUT_OF_RANGE');
      }
      return raw.dontForkBuffer(size);
    },
  };
}
