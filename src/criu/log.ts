// Reads what went wrong from CRIU's own log, whose Error lines say far more than cr_errmsg.
import { readFile } from 'node:fs/promises';

/** CRIU's own default: errors and warnings, all that explain.ts reads (see OperationOptions.logLevel). */
export const LOG_LEVEL = 2;

/** A line CRIU logs on every run here and that never explains a failure. */
const HARMLESS = [/rlimit: Can't setup RLIMIT_NOFILE/];

/** Every `Error (file:line): ...` line of the log, without the timestamp, in order. */
export async function readLogErrors(logPath: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(logPath, 'utf8');
  } catch {
    return [];
  }
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf('Error (');
    if (at >= 0) errors.push(line.slice(at).trim());
  }
  return errors;
}

/** The errors that can explain a failure (the harmless rlimit line removed). */
export function meaningfulErrors(errors: readonly string[]): string[] {
  return errors.filter((line) => !HARMLESS.some((re) => re.test(line)));
}
