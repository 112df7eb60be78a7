// The flags every node-criu command takes, and what they become in the library's options
// (--criu, --timeout and --log-level have no effect where no CRIU runs).
import { integerArg } from './integer-arg.js';
import { UsageError } from './usage-error.js';

export const common = {
  json: { type: 'boolean' },
  criu: { type: 'string' },
  timeout: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --criu, --timeout and --log-level as the options every library call takes (absent flags: no key). */
export function commonOptions(values: {
  criu?: string | undefined;
  timeout?: string | undefined;
  'log-level'?: string | undefined;
}) {
  const timeout = integerArg(values.timeout, '--timeout');
  const logLevel = integerArg(values['log-level'], '--log-level');
  if (logLevel !== undefined && logLevel > 4) throw new UsageError(`--log-level must be 0 to 4, got ${logLevel}.`);
  return {
    ...(values.criu ? { criuPath: values.criu } : {}),
    ...(timeout ? { timeout } : {}),
    ...(logLevel === undefined ? {} : { logLevel: logLevel as 0 | 1 | 2 | 3 | 4 }),
  };
}
