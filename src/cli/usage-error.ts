// A mistake in how a command was called (unknown flag, missing argument): the CLI prints its
// usage and exits with code 2, rather than reporting a failure.

/** A usage mistake: exit code 2 and the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs a parse (parseArgs), turning its complaints (unknown flag, missing value) into usage errors. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
