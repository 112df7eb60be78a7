// The digest of an image: BLAKE3 where its native build loads, SHA-256 otherwise.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CriuError } from '../errors.js';

/**
 * The algorithms a manifest may name, each the key of the hex digest in a file's entry. BLAKE3
 * (the `@napi-rs/blake-hash` build, prebuilt for every common platform) is as strong a
 * cryptographic hash as SHA-256 and, measured here, 4x faster (6.1 vs 1.5 GiB/s on one core,
 * with SHA extensions on SHA-256's side): what lets the checkpoint keep up with CRIU's writing.
 * SHA-256 (OpenSSL, built into Node) is used where BLAKE3 cannot load, and read in manifests made
 * before BLAKE3 was the default.
 */
export const DIGEST_ALGORITHMS = ['blake3', 'sha256'] as const;
/** A digest algorithm a manifest may record: `'blake3'` (the default), or `'sha256'` where BLAKE3 cannot load. */
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];
/** How messages name each algorithm. */
export const ALGORITHM_NAMES: Readonly<Record<DigestAlgorithm, string>> = { blake3: 'BLAKE3', sha256: 'SHA-256' };

/** An incremental hash of one file. */
export interface Hasher {
  update(data: Uint8Array): void;
  /** The lowercase hex digest (64 characters for both algorithms). */
  digest(): string;
}

interface Blake3Native {
  Blake3Hasher: new () => { update(data: Uint8Array): unknown; digest(format: 'hex'): string };
  /** The one-shot digest (raw bytes). */
  blake3(data: Uint8Array): Buffer;
}

/** Up to this much of a first update is kept to be digested in one call (most images are a few KiB). */
const ONE_SHOT = 64 << 10;

let blake3: Blake3Native | null | undefined;

/** The native BLAKE3 build, loaded on first use; null where it is not installed or cannot load. */
function loadBlake3(): Blake3Native | null {
  if (blake3 === undefined) {
    try {
      blake3 = createRequire(import.meta.url)('@napi-rs/blake-hash') as Blake3Native;
    } catch {
      blake3 = null;
    }
  }
  return blake3;
}

/** The algorithm new checkpoints record. */
export function preferredAlgorithm(): DigestAlgorithm {
  return loadBlake3() ? 'blake3' : 'sha256';
}

/** The native BLAKE3 build; UNSUPPORTED where it cannot load. */
function requireBlake3(): Blake3Native {
  const native = loadBlake3();
  if (!native) {
    throw new CriuError(
      'UNSUPPORTED',
      "This checkpoint's digests are BLAKE3, and @napi-rs/blake-hash has no build that loads here: install it for this platform (npm install @napi-rs/blake-hash), or restore with verify: false.",
      { operation: 'read-images' },
    );
  }
  return native;
}

/** The hex digest of `bytes` under `algorithm`, in one call (no copy is kept, unlike a Hasher's). */
export function digestOf(algorithm: DigestAlgorithm, bytes: Uint8Array): string {
  if (algorithm === 'sha256') return createHash('sha256').update(bytes).digest('hex');
  return requireBlake3().blake3(bytes).toString('hex');
}

/** A hasher for `algorithm`; UNSUPPORTED when it is BLAKE3 and its native build cannot load. */
export function newHasher(algorithm: DigestAlgorithm): Hasher {
  if (algorithm === 'sha256') {
    const hash = createHash('sha256');
    return { update: (data) => void hash.update(data), digest: () => hash.digest('hex') };
  }
  const native = requireBlake3();
  // Creating a native hasher costs ~9 us here, more than reading a small image (700 of them for a
  // tree of 100): a file that comes in one small update is digested by the one-shot call instead.
  let hash: InstanceType<Blake3Native['Blake3Hasher']> | undefined;
  let first: Buffer | undefined;
  return {
    update(data) {
      if (data.byteLength === 0) return; // the read that finds the end
      if (!hash && !first && data.byteLength <= ONE_SHOT) {
        first = Buffer.from(data); // a copy: callers reuse their read buffers
        return;
      }
      hash ??= new native.Blake3Hasher();
      if (first) hash.update(first);
      first = undefined;
      hash.update(data);
    },
    digest: () => (hash ? hash.digest('hex') : native.blake3(first ?? Buffer.alloc(0)).toString('hex')),
  };
}
