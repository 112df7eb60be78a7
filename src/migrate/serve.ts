// serve(): live migration's destination side. Per migration: a hello (refused if its needs are not
// met), the images into a dir of its own, then `start`: a restore with lazy pages whose daemon
// fetches the pages from the source's page server over the page connection (relayed by us:
// CRIU's client cannot reach an IPv6 link-local address, it drops the scope id), the tree our
// child; `running` back to the source, `loaded` once every page is in.
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { closeSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { criuRestore } from '../criu/restore.js';
import { CriuError } from '../errors.js';
import { removeDir } from '../fs/flat-dir.js';
import { loadNative } from '../native.js';
import { validateServeOptions } from '../options.js';
import type { FdNeed } from '../restore-needs.js';
import type { RestoredProcess } from '../types.js';
import { type Endpoint, formatEndpoint } from './address.js';
import { FrameReader, messageFrame } from './frames.js';
import { receiveImage } from './images-transfer.js';
import { relayPages } from './page-relay.js';
import { type Accept, type Message, nextMessage, PROTOCOL_VERSION, type Running } from './protocol.js';
import type { Migration, MigrationReport, MigrationServer, MigrationServerEvents, ServeOptions } from './types.js';

/** How long the page connection may lag behind its control connection. */
const PAGE_CONNECTION_WAIT_MS = 10_000;

/** A page connection that arrived, by migration id, waiting for its `start`. */
interface PageConnection {
  socket: Socket;
  /** What was read past its hello. */
  rest: Buffer;
}

/** The needs `fds` does not meet, which a default cannot (restore would refuse them). */
function unmet(needs: readonly FdNeed[], options: ServeOptions): FdNeed[] {
  const fds = (options.fds ?? {}) as Record<string, unknown>;
  return needs.filter((need) => {
    if (need.substitute !== 'required') return false;
    if (need.root && fds[need.fd] !== undefined) return false;
    const task = fds[need.pid];
    return !(typeof task === 'object' && task !== null && (task as Record<string, unknown>)[need.fd] !== undefined);
  });
}

class Server_ extends EventEmitter<MigrationServerEvents> implements MigrationServer {
  readonly #server: Server;
  readonly #options: ServeOptions;
  readonly #pages = new Map<string, { arrived: Promise<PageConnection>; resolve: (c: PageConnection) => void }>();
  readonly #under = new Set<Promise<void>>();
  address: Endpoint;

  constructor(server: Server, options: ServeOptions, address: Endpoint) {
    super();
    this.#server = server;
    this.#options = options;
    this.address = address;
    server.on('connection', (socket) => {
      const work = this.#connection(socket).finally(() => this.#under.delete(work));
      this.#under.add(work);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([closed, ...this.#under]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pageSlot(id: string) {
    let slot = this.#pages.get(id);
    if (!slot) {
      let resolve: (c: PageConnection) => void = () => {};
      const arrived = new Promise<PageConnection>((r) => {
        resolve = r;
      });
      slot = { arrived, resolve };
      this.#pages.set(id, slot);
    }
    return slot;
  }

  async #connection(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    const from = formatEndpoint({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    const reader = new FrameReader(socket);
    let first: Message;
    try {
      first = await nextMessage(reader);
    } catch {
      socket.destroy();
      return;
    }
    if (first.type === 'pages') {
      // Only a migration this server accepted has a slot; anything else is dropped.
      const slot = this.#pages.get(first.id);
      if (!slot || first.protocol !== PROTOCOL_VERSION) {
        socket.destroy();
        return;
      }
      slot.resolve({ socket, rest: reader.detach() });
      return;
    }
    if (first.type !== 'hello') {
      socket.destroy();
      return;
    }
    await this.#migration(socket, reader, first, from);
  }

  async #migration(socket: Socket, reader: FrameReader, hello: Extract<Message, { type: 'hello' }>, from: string) {
    const send = (message: Message) => socket.write(messageFrame(message));
    let id: string | undefined;
    let imagesDir: string | undefined;
    try {
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new Error(
          `protocol ${hello.protocol} is not this server's ${PROTOCOL_VERSION} (update node-criu on one side)`,
        );
      }
      const missing = unmet(hello.needs, this.#options);
      if (missing.length > 0) {
        const list = missing.map((n) => `${n.option} (${n.type} ${n.key})`).join(', ');
        throw new Error(`serve() has no substitute for ${list}: give serve()'s fds one`);
      }
      if (this.#options.accept && !(await this.#options.accept({ from, pid: hello.pid, needs: hello.needs }))) {
        throw new Error("serve()'s accept() said no");
      }
      id = randomUUID();
      const root = this.#options.imagesRoot ?? tmpdir();
      await mkdir(root, { recursive: true });
      imagesDir = await mkdtemp(join(root, `node-criu-migration-${id.slice(0, 8)}-`));
      const pages = this.#pageSlot(id);
      send({ type: 'accept', id } satisfies Accept);
      let bytes = 0;
      let message = await nextMessage(reader);
      while (message.type === 'file') {
        bytes += await receiveImage(reader, imagesDir, message);
        message = await nextMessage(reader);
      }
      if (message.type === 'abort') throw new Error(`the source gave up: ${message.message}`);
      if (message.type !== 'start') throw new Error(`the source sent '${message.type}' where 'start' was due`);
      const startedAt = performance.now();
      const frozenMs = message.frozenMs;
      this.emit('images', { id, from, bytes });
      const connection = await Promise.race([
        pages.arrived,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the page connection did not come')), PAGE_CONNECTION_WAIT_MS).unref(),
        ),
      ]);
      const proc = await this.#restore(imagesDir, connection);
      const running: Running = {
        type: 'running',
        pid: proc.pid,
        downtimeMs: frozenMs + (performance.now() - startedAt),
      };
      send(running);
      const migrationId = id;
      const dir = imagesDir;
      const completed = (async (): Promise<MigrationReport> => {
        try {
          const stats = await (proc.pagesLoaded as NonNullable<RestoredProcess['pagesLoaded']>);
          send({ type: 'loaded', pages: stats });
          socket.end();
          await once(socket, 'close').catch(() => {});
          return {
            pid: proc.pid,
            sourcePid: hello.pid,
            downtimeMs: running.downtimeMs,
            bytesMoved:
              socket.bytesRead + socket.bytesWritten + connection.socket.bytesRead + connection.socket.bytesWritten,
            imageBytes: bytes,
            pages: stats,
          };
        } catch (error) {
          // Its pages will never come: a tree that faults on one would hang.
          proc.kill('SIGKILL');
          socket.destroy();
          throw new CriuError(
            'MIGRATION_FAILED',
            `Migration ${migrationId} from ${from}: the tree ran here (pid ${proc.pid}) but its pages stopped coming (${(error as Error).message}); it was ended.`,
            { operation: 'serve', pid: proc.pid, cause: error },
          );
        } finally {
          this.#pages.delete(migrationId);
          if (!this.#options.keepImages) await removeDir(dir);
        }
      })();
      completed.catch(() => {});
      this.emit('migration', {
        id,
        from,
        process: proc,
        downtimeMs: running.downtimeMs,
        completed,
      } satisfies Migration);
      await completed.catch(() => {});
    } catch (error) {
      const message = (error as Error).message;
      // Before `running` the source resumes its tree; the refusal tells it why.
      if (!socket.destroyed) send({ type: 'refuse', message });
      socket.end();
      if (id !== undefined) {
        this.#pages.get(id)?.arrived.then((c) => c.socket.destroy());
        this.#pages.delete(id);
      }
      if (imagesDir !== undefined) await removeDir(imagesDir);
      const failure =
        error instanceof CriuError
          ? error
          : new CriuError('MIGRATION_FAILED', `Migration ${id ?? '(refused)'} from ${from}: ${message}.`, {
              operation: 'serve',
              cause: error,
            });
      this.emit('failure', failure, { id, from });
    }
  }

  /** The restore with lazy pages from the source, over a socket pair relayed to the page connection. */
  async #restore(imagesDir: string, connection: PageConnection): Promise<RestoredProcess> {
    const native = loadNative();
    const [ours, daemons] = native.streamSocketPair();
    const local = new Socket({ fd: ours, readable: true, writable: true });
    relayPages(local, connection.socket, Promise.resolve(true), connection.rest);
    try {
      return await criuRestore(
        imagesDir,
        {
          lazyPages: true,
          ...(this.#options.fds === undefined ? {} : { fds: this.#options.fds }),
          ...(this.#options.outsideFds === undefined ? {} : { outsideFds: this.#options.outsideFds }),
          ...(this.#options.criuPath === undefined ? {} : { criuPath: this.#options.criuPath }),
          ...(this.#options.logLevel === undefined ? {} : { logLevel: this.#options.logLevel }),
        },
        undefined,
        { socket: daemons },
      );
    } catch (error) {
      local.destroy();
      connection.socket.destroy();
      throw error;
    } finally {
      // The daemon has its own copy (or none is needed any more): ours would keep the pair open.
      closeSync(daemons);
    }
  }
}

/**
 * Listens for migrations (migrate() on a source) at `options.listen` and restores each migrated
 * tree here, as a child of this process, its pages coming from the source as it runs. Each
 * migration is a 'migration' event once its tree runs; its `completed` settles when every page
 * is in. A migration that fails before its tree runs is a 'failure' event (the source resumes it).
 * @throws {TypeError|RangeError} for invalid options, {@link CriuError} if it cannot listen.
 */
export async function serve(options: ServeOptions): Promise<MigrationServer> {
  const valid = validateServeOptions(options);
  const server = createServer();
  server.listen({ host: valid.listen.host, port: valid.listen.port });
  try {
    await once(server, 'listening');
  } catch (error) {
    throw new CriuError(
      'MIGRATION_FAILED',
      `serve() cannot listen on ${formatEndpoint(valid.listen)}: ${(error as Error).message}. Use an address of this host (a link-local one with its scope, fe80::1%eth0) and a free port.`,
      { operation: 'serve', cause: error },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : valid.listen.port;
  return new Server_(server, valid, { host: valid.listen.host, port });
}
