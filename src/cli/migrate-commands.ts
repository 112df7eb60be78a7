// `node-criu serve` (the destination: accepts migrations and runs the migrated trees as its
// children) and `node-criu migrate` (the source: moves a tree there over CRIU's page server).
import { type Command, Option } from 'commander';
import type { RestoredProcess } from '../types.js';
import { defineCommand, GROUPS, repeatable } from './command.js';
import type { CommonFlags } from './common-flags.js';
import { UsageError } from './usage-error.js';

interface ServeFlags extends CommonFlags {
  listen?: string;
  fd?: string[];
  outsideFds?: 'pipe' | 'criu';
  imagesRoot?: string;
  keepImages?: boolean;
  once?: boolean;
}

interface MigrateFlags extends CommonFlags {
  to?: string;
  leftBehind?: 'refuse' | 'replace';
  leaveOut?: string[];
  shellJob?: boolean;
}

/** --listen / --to as an endpoint, or a usage mistake. */
async function endpointFlag(flag: string, text: string, allowAnyPort = false) {
  const { parseEndpoint } = await import('../migrate/address.js');
  try {
    return parseEndpoint(text, allowAnyPort);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** One line per event: JSON under --json, else words. */
function say(json: boolean | undefined, event: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(event)}\n` : `${human}\n`);
}

export const serveCommand = defineCommand<ServeFlags>({
  name: 'serve',
  summary: 'accept live migrations and run the migrated trees here (their parent until all pages are in)',
  group: GROUPS.archives,
  define(command: Command) {
    command
      .option('--listen <addr:port>', 'where to listen: 127.0.0.1:7000, [fe80::1%veth0]:7000 (required)')
      .option('--fd <[pid:]n=sub>', 'what a migrated root fd becomes, as restore --fd', repeatable)
      .addOption(new Option('--outside-fds <mode>', 'fds whose other end stayed behind').choices(['pipe', 'criu']))
      .option('--images-root <dir>', "where each migration's images are received (default: the temp dir)")
      .option('--keep-images', "keep a migration's images once every page is in")
      .option('--once', 'stop after the first migration has all its pages')
      .addHelpText(
        'after',
        `
Each migrated tree is this process's child: until every page is in, serve relays its pages, so
ending serve then ends the tree; afterwards the tree keeps running when serve exits. With the
default --outside-fds pipe, its stdin/stdout/stderr are pipes to serve (its output is relayed to
ours); give --fd 1=/path/log (or null) for a tree that should outlive serve.`,
      );
  },
  async run(_operands, flags) {
    if (!flags.listen) throw new UsageError('serve needs --listen ADDR:PORT.');
    const listen = await endpointFlag('--listen', flags.listen, true);
    const [{ serve, formatEndpoint }, { fdTableOf }, { commonOptions }] = await Promise.all([
      import('../index.js'),
      import('./fd-flag.js'),
      import('./common-flags.js'),
    ]);
    const fds = fdTableOf(flags.fd ?? []);
    const { criuPath, logLevel } = commonOptions(flags);
    const server = await serve({
      listen,
      ...(Object.keys(fds).length > 0 ? { fds } : {}),
      ...(flags.outsideFds ? { outsideFds: flags.outsideFds } : {}),
      ...(flags.imagesRoot ? { imagesRoot: flags.imagesRoot } : {}),
      keepImages: flags.keepImages ?? false,
      ...(criuPath ? { criuPath } : {}),
      ...(logLevel === undefined ? {} : { logLevel }),
    });
    const where = formatEndpoint(server.address);
    say(
      flags.json,
      { event: 'listening', address: where, port: server.address.port },
      `node-criu: serving migrations on ${where}`,
    );
    // The migrated trees are our children; once we stop serving they run on without us.
    const trees: RestoredProcess[] = [];
    const done = new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      server.on('failure', (error, { id, from }) =>
        say(
          flags.json,
          { event: 'failure', id, from, error: error.message },
          `node-criu: a migration from ${from} failed: ${error.message}`,
        ),
      );
      server.on('migration', (m) => {
        const { id, from, downtimeMs } = m;
        trees.push(m.process);
        say(
          flags.json,
          { event: 'migration', id, from, pid: m.process.pid, downtimeMs },
          `node-criu: pid ${m.process.pid} migrated from ${from}, ${downtimeMs.toFixed(0)} ms down`,
        );
        // Its output is relayed to ours: under --json, to stderr, so that stdout stays events.
        m.process.stdout?.pipe(flags.json ? process.stderr : process.stdout);
        m.process.stderr?.pipe(process.stderr);
        m.completed.then(
          (report) => {
            say(
              flags.json,
              { event: 'completed', id, ...report },
              `node-criu: pid ${report.pid}: every page is in (${report.bytesMoved} bytes moved)`,
            );
            if (flags.once) stop();
          },
          (error: Error) =>
            say(
              flags.json,
              { event: 'failure', id, from, error: error.message },
              `node-criu: migration ${id} failed: ${error.message}`,
            ),
        );
      });
    });
    await done;
    for (const tree of trees) {
      tree.unref();
      for (const stream of tree.stdio) stream?.destroy();
    }
    return 0;
  },
});

export const migrateCommand = defineCommand<MigrateFlags>({
  name: 'migrate',
  summary: 'move a running process tree to a node-criu serve, its memory following on demand',
  group: GROUPS.archives,
  define(command: Command) {
    command
      .argument('<pid>', 'the root of the tree (in a pid namespace of its own: spawn --namespaces pid)')
      .option('--to <addr:port>', "the destination's serve (required)")
      .addOption(
        new Option(
          '--left-behind <mode>',
          'fds whose other end stays here: refuse (default) or let the destination replace them',
        ).choices(['refuse', 'replace']),
      )
      .option('--leave-out <fd>', 'an fd the destination must substitute', repeatable)
      .option('-j, --shell-job', 'a shell job (its session and terminal are outside the tree)');
  },
  async run(operands, flags) {
    const [pidText] = operands;
    if (!flags.to) throw new UsageError('migrate needs --to ADDR:PORT.');
    const to = await endpointFlag('--to', flags.to);
    const [{ migrate }, { integerArg }, { commonOptions }, { emit }] = await Promise.all([
      import('../index.js'),
      import('./integer-arg.js'),
      import('./common-flags.js'),
      import('./output.js'),
    ]);
    const pid = integerArg(pidText, 'pid');
    if (pid === undefined) throw new UsageError('migrate needs the pid of the tree.');
    const leaveOut = (flags.leaveOut ?? []).map((fd) => integerArg(fd, '--leave-out') as number);
    const { criuPath, logLevel, timeout } = commonOptions(flags);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const report = await migrate(pid, {
      to,
      ...(flags.leftBehind ? { leftBehind: flags.leftBehind } : {}),
      ...(leaveOut.length > 0 ? { leaveOut } : {}),
      ...(flags.shellJob ? { shellJob: true } : {}),
      ...(criuPath ? { criuPath } : {}),
      ...(logLevel === undefined ? {} : { logLevel }),
      ...(timeout ? { timeout } : {}),
      signal: abort.signal,
    });
    emit(flags.json, report, () =>
      console.log(
        `migrated pid ${report.sourcePid} to ${flags.to} (pid ${report.pid} there): ${report.downtimeMs.toFixed(0)} ms down, ${report.bytesMoved} bytes moved`,
      ),
    );
    return 0;
  },
});
