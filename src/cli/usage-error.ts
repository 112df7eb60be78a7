// A mistake in how a command was called (unknown flag, missing argument): the CLI says what it
// was in one line, points to the command's --help, and exits with code 2 rather than 1.

/** A usage mistake: exit code 2 and a pointer to the command's --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
