// The CLI's parser without CRIU: global and per-command help, --version, did-you-mean for commands
// and flags, short usage errors (exit 2), criu's spellings accepted, and --help importing only the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { humanBytes, humanDuration, humanRate } from '../../src/cli/bytes.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { progressMode } from '../../src/cli/progress.js';
import { inheritFdFlags } from '../../src/cli/restore-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { INSTALL_CRIU } from '../../src/fix-hints.js';
import { scratchDir } from '../helpers/victims.js';

/** `text` as a regular expression that matches it literally. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function nodeCriu(args: readonly string[], nodeArgs: readonly string[] = []): Promise<Outcome> {
  // No CRIU, no terminal, no forced progress: what a script sees.
  const env = { ...process.env, NODE_CRIU_PROGRESS: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, cli, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A usage mistake: exit code 2, the message in one line, then where the command's help is. */
function assertUsage(r: Outcome, message: RegExp, command?: string): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `one line and the pointer to --help:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^node-criu: /);
  assert.match(lines[0] ?? '', message);
  assert.equal(lines[1], `see node-criu ${command ? `${command} ` : ''}--help`);
}

test('node-criu --help lists every command of the registry, by group, with the install hint', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = await nodeCriu(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: node-criu \[options\] \[command\]/);
    for (const command of COMMANDS) {
      assert.match(
        r.stdout,
        new RegExp(`^  ${command.name} .*${literal(command.summary.slice(0, 20))}`, 'm'),
        command.name,
      );
      assert.match(r.stdout, new RegExp(`^${literal(command.group)}$`, 'm'));
    }
    assert.ok(r.stdout.includes(INSTALL_CRIU), 'the fix hint that works where it is printed');
  }
  // Nothing at all: the help on stderr, as a usage mistake.
  const none = await nodeCriu([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^Usage: node-criu/);
});

test('<command> --help and help <command>: that command’s usage and flags, never the global usage', async () => {
  for (const command of COMMANDS) {
    const r = await nodeCriu([command.name, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: node-criu ${command.name} \\[options\\]`));
    assert.doesNotMatch(r.stdout, /\[command\]/);
    assert.match(r.stdout, /^Common options:\n {2}--json/m);
    const viaHelp = await nodeCriu(['help', command.name]);
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout, r.stdout);
  }
  const dump = (await nodeCriu(['dump', '-h'])).stdout;
  for (const flag of [
    '-t, --tree <pid>',
    '-D, --images-dir <dir>',
    '-R, --leave-running',
    '-j, --shell-job',
    '--progress',
  ]) {
    assert.ok(dump.includes(flag), `dump --help has ${flag}`);
  }
  const restore = (await nodeCriu(['restore', '--help'])).stdout;
  for (const flag of ['-D, --images-dir <dir>', '-d, --detach', '-j, --shell-job', 'fd[N]:KEY', '--no-verify']) {
    assert.ok(restore.includes(flag), `restore --help has ${flag}`);
  }
  assert.ok(restore.includes('--restore-detached'), "criu's spelling of -d is named");
  // --help wins over whatever else is on the line, even mistakes.
  const withJunk = await nodeCriu(['dump', '12', '--help', '--frob']);
  assert.equal(withJunk.code, 0);
  assert.match(withJunk.stdout, /^Usage: node-criu dump/);
});

test('--version and -V print the version of package.json', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await nodeCriu([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }
});

test('did-you-mean: a misspelt command or flag is named with the one meant, in one line', async () => {
  assertUsage(await nodeCriu(['dumpp', '12']), /unknown command 'dumpp' \(Did you mean dump\?\)/);
  assertUsage(await nodeCriu(['restor', '-D', 'x']), /unknown command 'restor' \(Did you mean restore\?\)/);
  assertUsage(
    await nodeCriu(['dump', '12', '-D', 'x', '--leave-runing']),
    /unknown option '--leave-runing' \(Did you mean --leave-running\?\)/,
    'dump',
  );
  assertUsage(
    await nodeCriu(['restore', '-D', 'x', '--detatch']),
    /unknown option '--detatch' \(Did you mean --detach\?\)/,
    'restore',
  );
  assertUsage(await nodeCriu(['show', '-D', 'x', '--jsn']), /Did you mean --json\?/, 'show');
  // Nothing near: no suggestion, still one line.
  assertUsage(await nodeCriu(['frobnicate']), /^node-criu: unknown command 'frobnicate'$/);
});

test('usage mistakes: exit 2, one line and a pointer to the command’s --help', async () => {
  assertUsage(await nodeCriu(['dump']), /dump needs a pid/, 'dump');
  assertUsage(await nodeCriu(['dump', '12']), /dump needs -D <dir>/, 'dump');
  assertUsage(await nodeCriu(['dump', 'abc', '-D', 'x']), /pid must be a positive integer, got 'abc'/, 'dump');
  assertUsage(await nodeCriu(['dump', '12', '-t', '13', '-D', 'x']), /exactly one pid/, 'dump');
  assertUsage(await nodeCriu(['dump', '12', '13', '-D', 'x']), /too many arguments for 'dump'/, 'dump');
  assertUsage(await nodeCriu(['restore', '-D']), /'-D, --images-dir <dir>' argument missing/, 'restore');
  assertUsage(await nodeCriu(['restore', 'x']), /too many arguments for 'restore'/, 'restore');
  assertUsage(
    await nodeCriu(['restore', '-D', 'x', '--backend', 'vm']),
    /Allowed choices are auto, criu, sim/,
    'restore',
  );
  assertUsage(await nodeCriu(['restore', '-D', 'x', '--fd', '1=pipee']), /Did you mean 'pipe'\?/, 'restore');
  assertUsage(await nodeCriu(['restore', '-D', 'x', '--inherit-fd', 'fd[x]:k']), /fd\[N\]:KEY .* or KEY=N/, 'restore');
  assertUsage(await nodeCriu(['check', '--log-level', '9']), /--log-level must be 0 to 4/, 'check');
  assertUsage(await nodeCriu(['decode']), /missing required argument 'file.img'/, 'decode');
  assertUsage(await nodeCriu(['encode', 'x.json']), /encode needs --out/, 'encode');
  assertUsage(await nodeCriu(['--frob']), /unknown option '--frob'/);
});

test("criu's spellings parse as ours: dump -t -D -R -j, restore -d / --restore-detached, --inherit-fd fd[N]:KEY", async () => {
  const dir = scratchDir();
  // Parsed, then refused by the library for want of a process or a checkpoint: exit 1, not 2.
  const dump = await nodeCriu(['dump', '-t', '4194304', '-D', join(dir, 'cp'), '-R', '-j', '--backend', 'sim']);
  assert.equal(dump.code, 1, dump.stderr);
  assert.match(dump.stderr, /^node-criu: \[[A-Z_]+\] /);
  for (const detach of ['-d', '--restore-detached', '--detach']) {
    const r = await nodeCriu(['restore', '-D', join(dir, 'none'), detach, '-j', '--inherit-fd', 'fd[0]:pipe:[1]']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\[INVALID_IMAGES\]/);
  }
  assert.deepEqual(inheritFdFlags(['fd[3]:pipe:[12345]', 'file[1:2]=4', 'tty[88:4]=0']), {
    'pipe:[12345]': 3,
    'file[1:2]': 4,
    'tty[88:4]': 0,
  });
  assert.throws(() => inheritFdFlags(['fd[3]']), UsageError);
  assert.throws(() => inheritFdFlags(['key=x']), UsageError);
});

test('--help imports the CLI and its parser only, never the library', async () => {
  const hooks = pathToFileURL(fileURLToPath(new URL('../helpers/load-trace.js', import.meta.url))).href;
  const allowed = [
    /\/dist\/src\/cli\/[^/]+\.js$/,
    /\/node_modules\/commander\//,
    /\/dist\/src\/fix-hints\.js$/,
    /\/dist\/src\/backend-choice\.js$/,
  ];
  for (const args of [['--help'], ['dump', '--help'], ['restore', '--help'], ['show', '--help'], ['--version']]) {
    const file = join(scratchDir(), 'loads');
    const register = `import{register}from"node:module";register(${JSON.stringify(hooks)},{data:{file:${JSON.stringify(file)}}});`;
    const r = await nodeCriu(args, ['--import', `data:text/javascript,${register}`]);
    assert.equal(r.code, 0, r.stderr);
    const loaded = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(
      loaded.some((url) => url.endsWith('/dist/src/cli/main.js')),
      'the trace saw the CLI',
    );
    const library = loaded.filter((url) => url.startsWith('file:') && !allowed.some((a) => a.test(url)));
    assert.deepEqual([...new Set(library)], [], `node-criu ${args.join(' ')} imported the library`);
    // The commands' own modules that need the library are imported when they run, not before.
    for (const lazy of ['output.js', 'progress.js', 'show-output.js', 'fd-flag.js', 'sysv-flags.js']) {
      assert.ok(!loaded.some((url) => url.endsWith(`/dist/src/cli/${lazy}`)), `${lazy} loaded for ${args.join(' ')}`);
    }
  }
});

test('sizes and rates as people read them', () => {
  assert.equal(humanBytes(0), '0 B');
  assert.equal(humanBytes(4096), '4 KiB');
  assert.equal(humanBytes(10.5 * 1024 * 1024), '10.5 MiB');
  assert.equal(humanBytes(3 * 2 ** 30), '3 GiB');
  assert.equal(humanBytes('1099511627776'), '1 TiB');
  assert.equal(humanRate(189.8 * 2 ** 20), '189.8 MiB/s');
  assert.equal(humanDuration(420), '420 ms');
  assert.equal(humanDuration(1349), '1.3 s');
});

test('progress: the flag, else NODE_CRIU_PROGRESS, else only where stderr is a terminal', (t) => {
  const saved = process.env.NODE_CRIU_PROGRESS;
  t.after(() => {
    if (saved === undefined) delete process.env.NODE_CRIU_PROGRESS;
    else process.env.NODE_CRIU_PROGRESS = saved;
  });
  delete process.env.NODE_CRIU_PROGRESS;
  assert.equal(progressMode(undefined), process.stderr.isTTY ? 'terminal' : 'off');
  assert.equal(progressMode(true), 'forced');
  assert.equal(progressMode(false), 'off');
  process.env.NODE_CRIU_PROGRESS = '1';
  assert.equal(progressMode(undefined), 'forced');
  assert.equal(progressMode(false), 'off', '--no-progress wins over the environment');
  process.env.NODE_CRIU_PROGRESS = '0';
  assert.equal(progressMode(undefined), 'off');
  assert.equal(progressMode(true), 'forced');
});
