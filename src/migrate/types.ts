// The options and results of live migration: migrate() on the source, serve() on the destination.
import type { EventEmitter } from 'node:events';
import type { LeaveOutAdvice } from '../fds/leave-out.js';
import type { FdNeed } from '../restore-needs.js';
import type { LazyPagesStats, RestoredProcess, RestoreOptions } from '../types.js';
import type { Endpoint } from './address.js';

/** migrate()'s options. */
export interface MigrateOptions {
  /** The destination's serve() (an IP address; IPv6 link-local with its scope: `fe80::1%eth0`). */
  to: Endpoint;
  /**
   * Fds whose other end stays behind (a pipe or socket to a process that is not migrated, such as
   * the caller's stdio pipes): `'refuse'` (default) refuses the migration before anything is
   * frozen, listing them; `'replace'` lets the destination give them substitutes (its `fds`) or
   * new pipes (its `outsideFds`), the ends here being cut.
   */
  leftBehind?: 'refuse' | 'replace';
  /** As CheckpointOptions.leaveOut: fds to leave out (the destination must substitute them). */
  leaveOut?: LeaveOutAdvice;
  /** As CheckpointOptions.shellJob. */
  shellJob?: boolean;
  /** As CheckpointOptions.external. */
  external?: readonly string[];
  /** Where the source writes the images before they are sent (default: a temp dir, removed). */
  imagesDir?: string;
  /**
   * Milliseconds from the start until the tree runs at the destination (default 60 000); past it
   * the source tree resumes (MIGRATION_FAILED). Once it runs there, nothing times out: the pages
   * are served until the destination has them all.
   */
  timeout?: number;
  /** Aborting before the tree runs at the destination resumes the source tree (MIGRATION_FAILED); ignored after. */
  signal?: AbortSignal;
  /** As CommonOptions.criuPath. */
  criuPath?: string;
  /** CRIU's log level for the dump (default 2). */
  logLevel?: 0 | 1 | 2 | 3 | 4;
}

/** How a migration went, on both sides (migrate()'s value, serve()'s Migration.completed). */
export interface MigrationReport {
  /** The root's pid at the destination (on the destination's host). */
  pid: number;
  /** The root's pid at the source (gone now). */
  sourcePid: number;
  /**
   * Frozen at the source until running at the destination: the source's freeze until it sent
   * `start` plus the destination's `start` until the tree ran (the one-way latency of `start` is
   * not in it).
   */
  downtimeMs: number;
  /** Bytes over both connections, both ways: images, messages and pages. */
  bytesMoved: number;
  /** Bytes of the images sent before the tree ran. */
  imageBytes: number;
  /** How the pages came in at the destination (undefined if the destination did not say). */
  pages: LazyPagesStats | undefined;
}

/** serve()'s options: where to listen, and what the migrated trees' fds become. */
export interface ServeOptions {
  /** Where to listen (port 0: any free port, see MigrationServer.address). */
  listen: Endpoint;
  /** Where each migration's images are received (a temp dir of its own under it); default: the temp dir. */
  imagesRoot?: string;
  /** Keep a migration's images once every page is in (default: removed). */
  keepImages?: boolean;
  /** What the migrated root's fds become, as RestoreOptions.fds (the same table for every migration). */
  fds?: RestoreOptions['fds'];
  /** As RestoreOptions.outsideFds (default `'pipe'`: new pipes, the handle's stdio). */
  outsideFds?: RestoreOptions['outsideFds'];
  /**
   * Asked before anything is frozen at the source, with what the tree needs: false or a throw
   * refuses the migration (MIGRATION_REFUSED at the source; the message is the throw's).
   */
  accept?: (offer: MigrationOffer) => boolean | Promise<boolean>;
  /** As CommonOptions.criuPath. */
  criuPath?: string;
  /** CRIU's log level for the restore. */
  logLevel?: 0 | 1 | 2 | 3 | 4;
}

/** What serve()'s `accept` is asked about. */
export interface MigrationOffer {
  /** Where it comes from (`HOST:PORT`). */
  from: string;
  /** The root's pid at the source. */
  pid: number;
  /** Its fds whose other ends stay at the source: each gets a substitute from `fds` or a default. */
  needs: readonly FdNeed[];
}

/** A migrated tree, running at the destination (its pages may still be coming). */
export interface Migration {
  /** The migration's id (also in the names of its images dir and log). */
  id: string;
  /** Where it came from. */
  from: string;
  /** The restored tree: a child of this process, held as restore() holds it (`pagesLoaded` included). */
  process: RestoredProcess;
  /** See MigrationReport.downtimeMs. */
  downtimeMs: number;
  /** Settles once every page is in (the source has ended), with the whole report; rejects if the page source failed. */
  completed: Promise<MigrationReport>;
}

/** The events of a MigrationServer. */
export interface MigrationServerEvents {
  /** A tree was migrated here and runs. */
  migration: [migration: Migration];
  /** A migration's images are all in (the source tree frozen); the restore is next. */
  images: [info: { id: string; from: string; bytes: number }];
  /** A migration failed here before its tree ran (the source resumes it), or was refused. */
  failure: [error: Error, info: { id: string | undefined; from: string }];
}

/** serve()'s value: a listening server of migrations. */
export interface MigrationServer extends EventEmitter<MigrationServerEvents> {
  /** Where it listens (the port chosen when `listen.port` was 0). */
  readonly address: Endpoint;
  /**
   * Stops accepting; resolves once every migration under way is done (trees that already run stay
   * running, children of this process).
   */
  close(): Promise<void>;
  /** close(), for `await using server = await serve(...)`. */
  [Symbol.asyncDispose](): Promise<void>;
}
