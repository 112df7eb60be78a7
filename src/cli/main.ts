#!/usr/bin/env node
// The node-criu command line, a thin layer over the library: the parser and the exit codes are
// program.ts's, the commands are listed in commands.ts and import the library only when they run.
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
