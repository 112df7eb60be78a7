// Hashes the page data CRIU is writing while it writes it: the digests of a checkpoint's memory
// are made on this machine's other core, not after the dump.
import { createHash, type Hash } from 'node:crypto';
import { fstatSync, readdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIGEST_ALGORITHM, type FileDigest, hashRange, hashRangeSync, PAGES_FILE } from './digest.js';
import { giveBack, takeBuffer } from './read-buffers.js';

/** What is left of a followed file when CRIU is done is hashed synchronously up to this size. */
const SYNC_REST = 4 << 20;
/** How often the images dir is looked at for a new pages file or more data. */
const POLL_MS = 50;

interface Followed {
  handle: FileHandle;
  hash: Hash;
  /** Bytes hashed so far. */
  size: number;
}

export interface PagesFollower {
  /** Once CRIU is done: hashes what is left and returns each pages file's digest. */
  finish(): Promise<Map<string, FileDigest>>;
  /** After a failed dump: stops and closes everything. */
  stop(): Promise<void>;
}

/**
 * Follows the pages files of `dir` from now on. What it returns is only as good as CRIU's
 * append-only writing: the manifest takes a followed digest only for a file whose final size is
 * the size hashed, and hashes anything else again.
 */
export function followPages(dir: string): PagesFollower {
  const files = new Map<string, Followed>();
  let stopped = false;
  const drain = async (entry: Followed, end: number) => {
    entry.size = await hashRange(entry.handle, entry.hash, entry.size, end);
  };
  const pass = async () => {
    for (const name of readdirSync(dir)) {
      if (PAGES_FILE.test(name) && !files.has(name)) {
        files.set(name, { handle: await open(join(dir, name), 'r'), hash: createHash(DIGEST_ALGORITHM), size: 0 });
      }
    }
    for (const entry of files.values()) await drain(entry, (await entry.handle.stat()).size);
  };
  // A failure here (the dir removed by a failed dump) ends the following; finish() then hashes afresh.
  let failed = false;
  const wake = new AbortController();
  const loop = (async () => {
    for (;;) {
      // Looked at after a pause: a dump that ends sooner (a small process) is hashed afterwards,
      // at once, without ever being followed.
      await sleep(POLL_MS, undefined, { signal: wake.signal }).catch(() => {});
      if (stopped) return;
      await pass().catch(() => {
        failed = true;
        stopped = true;
      });
    }
  })();
  const halt = async () => {
    stopped = true;
    wake.abort();
    await loop;
  };
  const close = async () => {
    await Promise.all([...files.values()].map((e) => e.handle.close().catch(() => {})));
    files.clear();
  };

  return {
    async finish() {
      await halt();
      try {
        if (failed) return new Map();
        // Files CRIU made since the last look are left to the manifest's own hashing; the rest of
        // a followed one is hashed here, at once when it is little (no thread-pool round trips).
        const buffer = takeBuffer();
        try {
          for (const entry of files.values()) {
            const end = fstatSync(entry.handle.fd).size;
            if (end - entry.size > SYNC_REST) await drain(entry, end);
            entry.size = hashRangeSync(entry.handle.fd, entry.hash, entry.size, end, buffer);
          }
        } finally {
          giveBack(buffer);
        }
        return new Map([...files].map(([name, e]) => [name, { size: e.size, sha256: e.hash.digest('hex') }]));
      } finally {
        await close();
      }
    },
    async stop() {
      await halt();
      await close();
    },
  };
}
