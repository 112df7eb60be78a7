// Progress of a dump or a restore on stderr: bytes of memory moved, of how many, and the rate.
// Redrawn in place when stderr is a terminal (from half a second in); one line per update when
// forced on (--progress, NODE_CRIU_PROGRESS=1) elsewhere; quiet otherwise. Dump: the pages files
// growing in the images dir, of the tree's memory as /proc tells it. Restore: the restored tasks'
// memory growing, of the checkpoint's pages files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { humanBytes, humanDuration, humanRate } from './bytes.js';
import { dumpableBytes, nowTicks, startTicks, treeDumpableBytes } from './proc-memory.js';

/**
 * Whether to show progress, and how soon: forced by the flag or NODE_CRIU_PROGRESS=1 (at once),
 * because stderr is a terminal (once the operation has taken a moment), or not at all.
 */
export type ProgressMode = 'off' | 'terminal' | 'forced';

/** The flag, else NODE_CRIU_PROGRESS (1/0), else whether stderr is a terminal. */
export function progressMode(flag: boolean | undefined): ProgressMode {
  const env = process.env.NODE_CRIU_PROGRESS;
  const forced = flag ?? (env === '1' || env === 'true' ? true : env === '0' || env === 'false' ? false : undefined);
  if (forced !== undefined) return forced ? 'forced' : 'off';
  return process.stderr.isTTY === true ? 'terminal' : 'off';
}

/** A progress display; stop() ends it, with a summary line when the operation succeeded. */
export interface Progress {
  stop(ok: boolean): void;
}

const NO_PROGRESS: Progress = { stop() {} };

/** What a progress display counts (commands that move other bytes, archives or migrations, give their own). */
export interface ProgressSource {
  /** What is expected in all (0: unknown). */
  total: number;
  /** Bytes moved so far. */
  done(): number;
  /** Bytes moved in all, once the operation succeeded. */
  final(): number;
}

const REDRAW_MS = 200;
const LINE_MS = 500;
/** On a terminal, an operation shorter than this shows nothing. */
const TERMINAL_DELAY_MS = 500;
/** The rate is over the samples of the last second or so. */
const RATE_WINDOW_MS = 1000;

/**
 * Shows `node-criu: OPERATION: DONE of ~TOTAL (P%), RATE` while it runs, and on success
 * `node-criu: OPERATION: BYTES WHAT in TIME (RATE)` (`what`: e.g. `of memory written`).
 */
export function trackProgress(mode: ProgressMode, operation: string, what: string, source: ProgressSource): Progress {
  if (mode === 'off') return NO_PROGRESS;
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const samples: { at: number; done: number }[] = [];
  let shown = false;
  const line = (text: string) => {
    shown = true;
    process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
  };
  const draw = () => {
    const at = performance.now();
    const done = source.done();
    samples.push({ at, done });
    while (samples.length > 2 && at - (samples[1]?.at ?? at) >= RATE_WINDOW_MS) samples.shift();
    if (mode === 'terminal' && at - started < TERMINAL_DELAY_MS) return;
    const first = samples[0] ?? { at, done };
    const rate = at > first.at ? ((done - first.done) * 1000) / (at - first.at) : 0;
    // The total is an estimate: never shown below what was done, never 100% before the end.
    const total = Math.max(source.total, done);
    const of = total > 0 ? ` of ~${humanBytes(total)} (${Math.min(99, Math.floor((done * 100) / total))}%)` : '';
    line(
      `node-criu: ${operation}: ${humanBytes(done)}${of}${samples.length > 1 && done > 0 ? `, ${humanRate(rate)}` : ''}`,
    );
  };
  draw();
  const timer = setInterval(draw, tty ? REDRAW_MS : LINE_MS);
  timer.unref();
  return {
    stop(ok) {
      clearInterval(timer);
      if (!shown) return;
      if (!ok) {
        if (tty) process.stderr.write('\r\x1b[K');
        return;
      }
      const ms = performance.now() - started;
      const bytes = source.final();
      const rate = ms > 0 ? humanRate((bytes * 1000) / ms) : '-';
      line(`node-criu: ${operation}: ${humanBytes(bytes)} ${what} in ${humanDuration(ms)} (${rate})`);
      if (tty) process.stderr.write('\n');
    },
  };
}

/** The size of the pages files (pages-N.img) in `dir`: the memory CRIU wrote there so far. */
function pagesBytes(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let sum = 0;
  for (const name of names) {
    if (!/^pages-\d+\.img$/.test(name)) continue;
    try {
      sum += statSync(join(dir, name)).size;
    } catch {
      // Removed meanwhile (a failed dump cleaning up).
    }
  }
  return sum;
}

/** Progress of checkpoint(pid, { imagesDir }): the pages files growing, of the tree's memory. */
export function trackDump(mode: ProgressMode, pid: number, imagesDir: string): Progress {
  return trackProgress(mode, 'dump', 'of memory written', {
    total: treeDumpableBytes(pid),
    done: () => pagesBytes(imagesDir),
    final: () => pagesBytes(imagesDir),
  });
}

/** The pids and pages bytes of a node-criu checkpoint, from its manifest; undefined if unreadable. */
function checkpointFacts(imagesDir: string): { pids: number[]; pagesBytes: number } | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(imagesDir, 'node-criu.json'), 'utf8')) as {
      backend?: string;
      pids?: unknown;
      files?: Record<string, { size?: unknown }>;
    };
    // The simulator's tasks are not processes whose reads /proc counts.
    if (manifest.backend !== 'criu' || !Array.isArray(manifest.pids)) return undefined;
    const pids = manifest.pids.filter((p): p is number => typeof p === 'number');
    let bytes = 0;
    for (const [name, file] of Object.entries(manifest.files ?? {})) {
      if (/^pages-\d+\.img$/.test(name) && typeof file.size === 'number') bytes += file.size;
    }
    return { pids, pagesBytes: bytes };
  } catch {
    return undefined;
  }
}

/**
 * Progress of restore(imagesDir): the memory of the tasks CRIU is restoring growing as they read
 * their pages in (their own anonymous memory, less what they had when first seen: a task starts
 * as a fork of CRIU), of the checkpoint's pages files. Only tasks started since are counted: a
 * pid of the images may still belong to an unrelated process while the restore waits for it.
 * (Their read counters would be exact, but CRIU reads pages in a few large preadv calls, which
 * count only once they return.)
 */
export function trackRestore(mode: ProgressMode, imagesDir: string): Progress {
  const facts = mode === 'off' ? undefined : checkpointFacts(imagesDir);
  if (!facts) return NO_PROGRESS;
  const since = nowTicks();
  const baseline = new Map<number, number>();
  let last = 0;
  const done = () => {
    let sum = 0;
    for (const pid of facts.pids) {
      const started = startTicks(pid);
      if (started === undefined || started < since) continue;
      const bytes = dumpableBytes(pid);
      if (!baseline.has(pid)) baseline.set(pid, bytes);
      sum += Math.max(0, bytes - (baseline.get(pid) ?? 0));
    }
    // Never backwards (a task that finished may have exited), never past the pages there are.
    last = Math.max(last, facts.pagesBytes > 0 ? Math.min(sum, facts.pagesBytes) : sum);
    return last;
  };
  return trackProgress(mode, 'restore', 'of memory read', {
    total: facts.pagesBytes,
    done,
    final: () => Math.max(facts.pagesBytes, last),
  });
}
