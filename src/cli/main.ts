#!/usr/bin/env node
// The node-criu command line: a thin layer over the library (every command takes --json). This
// is the bin: it dispatches to the command modules and turns errors into exit codes.
import { CriuError } from '../errors.js';
import { cmdDump } from './dump-command.js';
import { cmdFds, cmdVerify } from './images-dir-commands.js';
import { cmdDecode, cmdEncode, cmdShow } from './inspect-commands.js';
import { cmdRestore } from './restore-command.js';
import { cmdCheck, cmdInstallCriu } from './setup-commands.js';
import { USAGE, usage } from './usage.js';
import { UsageError } from './usage-error.js';

const commands: Record<string, (args: string[]) => number | Promise<number>> = {
  check: cmdCheck,
  dump: cmdDump,
  restore: cmdRestore,
  verify: cmdVerify,
  fds: cmdFds,
  show: cmdShow,
  decode: cmdDecode,
  encode: cmdEncode,
  'install-criu': cmdInstallCriu,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') return usage(name ? 0 : 2);
  const command = commands[name];
  const json = rest.includes('--json');
  try {
    if (!command) throw new UsageError(`unknown command '${name}'.`);
    if (rest.includes('-h') || rest.includes('--help')) return usage(0);
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`node-criu: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    const e = error as Error & { code?: string; logPath?: string };
    if (json) {
      const detail =
        error instanceof CriuError
          ? { code: e.code, message: e.message, logPath: e.logPath }
          : { code: e.code, message: e.message };
      process.stderr.write(`${JSON.stringify({ error: detail })}\n`);
    } else {
      process.stderr.write(`node-criu: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
    }
    return error instanceof TypeError || error instanceof RangeError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
