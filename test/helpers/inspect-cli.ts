// A test-only entry for the inspect commands (the real CLI wires them in src/cli/main.ts):
// `node inspect-cli.js show|decode|encode ARGS...`, exit code as the CLI's (2 for usage mistakes).
import { cmdDecode, cmdEncode, cmdShow } from '../../src/cli/inspect-commands.js';
import { UsageError } from '../../src/cli/usage-error.js';

const commands: Record<string, (args: string[]) => Promise<number>> = {
  show: cmdShow,
  decode: cmdDecode,
  encode: cmdEncode,
};

const [name = '', ...args] = process.argv.slice(2);
const command = commands[name];
try {
  if (!command) throw new UsageError(`unknown command '${name}'`);
  process.exitCode = await command(args);
} catch (error) {
  const e = error as Error & { code?: string };
  process.stderr.write(`node-criu: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
