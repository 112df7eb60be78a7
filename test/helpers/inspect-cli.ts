// A test-only entry for the CLI in this process's module graph (the bin is src/cli/main.ts):
// `node inspect-cli.js show|decode|encode ARGS...`, exit code as the CLI's (2 for usage mistakes).
import { runCli } from '../../src/cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
