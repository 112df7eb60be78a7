// The bounds decoding keeps to, so that a hostile image costs little time and memory: every one
// is far above what CRIU writes, and each is checked before anything is allocated for it.

/** Bounds the decoder keeps to, so that a corrupt or hostile image fails with IMAGE_CORRUPT in bounded time and memory. */
export interface DecodeLimits {
  /** Largest protobuf entry (its length prefix). CRIU's largest are a few hundred KiB. */
  maxEntryBytes: number;
  /** Most entries in one image (each costs an object even before its message is decoded). */
  maxEntries: number;
  /** Sum of all entries' protobuf bytes in one image: what decoding every message costs. */
  maxTotalEntryBytes: number;
  /**
   * Deepest nesting of sub-messages and groups inside one entry. CRIU's deepest is 5
   * (core -> thread_info -> fpregs -> xsave -> cet); @bufbuild/protobuf stops at 100.
   */
  maxDepth: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxEntryBytes: 16 << 20,
  maxEntries: 1 << 20,
  maxTotalEntryBytes: 256 << 20,
  maxDepth: 32,
});

/** `limits` over the defaults, each checked to be a positive integer. */
export function resolveLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  const out = { ...DEFAULT_DECODE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer.`);
  }
  return out;
}
