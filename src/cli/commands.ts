// Every node-criu command, in the order of the help's list. Adding one is a module that exports a
// CliCommand (see command.ts; it imports the library only when it runs) and one line here.
import { exportCommand, importCommand } from './archive-commands.js';
import type { CliCommand } from './command.js';
import { dumpCommand } from './dump-command.js';
import { fdsCommand, verifyCommand } from './images-dir-commands.js';
import { decodeCommand, encodeCommand, showCommand } from './inspect-commands.js';
import { migrateCommand, serveCommand } from './migrate-commands.js';
import { restoreCommand } from './restore-command.js';
import { checkCommand, installCriuCommand } from './setup-commands.js';

export const COMMANDS: readonly CliCommand[] = [
  dumpCommand,
  restoreCommand,
  showCommand,
  fdsCommand,
  verifyCommand,
  decodeCommand,
  encodeCommand,
  exportCommand,
  importCommand,
  serveCommand,
  migrateCommand,
  checkCommand,
  installCriuCommand,
];
