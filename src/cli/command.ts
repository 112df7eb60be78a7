// What a node-criu command is: its name, help and flags, declared without loading the library,
// and a run that imports what it needs when it runs (so that --help stays fast). commands.ts
// lists them; program.ts turns the list into the parser.
import type { Command } from 'commander';

/**
 * The headings of the command list in `node-criu --help` (listed in the order of their first
 * command in commands.ts). A new kind of command (archives, migration) adds its heading here.
 */
export const GROUPS = {
  run: 'Checkpoint and restore:',
  images: 'Read a checkpoint:',
  archives: 'Move a checkpoint or a process:',
  setup: 'Set up:',
} as const;

/** One command of the CLI. `Flags` is the shape of its parsed option values (commander's opts()). */
export interface CliCommand<Flags extends object = object> {
  /** The name typed after `node-criu`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The heading it is listed under in the global help. */
  readonly group: string;
  /**
   * Declares the command's arguments, options and extra help on `command` (named and described
   * already; the common flags, --json and the others of common-flags.ts, are added after). Must
   * not import the library: it runs for every invocation, --help included.
   */
  define(command: Command): void;
  /**
   * Runs the command with its operands and parsed flags, importing what it needs; resolves to the
   * exit code. Usage mistakes throw UsageError (exit code 2), failures the library's errors (1).
   */
  run(operands: readonly string[], flags: Flags): Promise<number>;
}

/** Declares a command with typed flags (the registry holds them as plain CliCommands). */
export function defineCommand<Flags extends object>(command: CliCommand<Flags>): CliCommand {
  return command as unknown as CliCommand;
}

/** An option's argParser that collects every occurrence (`--external A --external B`). */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
