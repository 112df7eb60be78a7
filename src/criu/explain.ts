// Turns CRIU's failed reply and its log into one CriuError that says what to do.
import { CriuError, type CriuErrorCode, type CriuOperation } from '../errors.js';
import type { Response } from '../gen/criu_rpc_pb.js';
import { meaningfulErrors, readLogErrors } from './log.js';

const ESRCH = 3;
const EEXIST = 17;

export interface FailureContext {
  operation: CriuOperation;
  pid?: number | undefined;
  logPath: string;
  /** The code when nothing more specific is recognised (DUMP_FAILED, RESTORE_FAILED, ...). */
  fallback: CriuErrorCode;
}

/** Recognisable causes, most specific first. */
const CAUSES: { code: CriuErrorCode; test: RegExp; advice: string }[] = [
  {
    code: 'PID_IN_USE',
    test: /Can't fork for \d+: File exists/,
    advice: 'A pid of the image is taken by another process; stop it or restore into a new pid namespace.',
  },
  {
    code: 'NOT_PERMITTED',
    // Only failures to seize or attach: "Permission denied" on a file is about that file.
    test: /(?:seize|ptrace|attach)[^\n]*(?:Operation not permitted|Permission denied)|CAP_SYS_ADMIN|CAP_CHECKPOINT_RESTORE/i,
    advice: 'Run as root (or with CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE).',
  },
  {
    code: 'RESTORE_FAILED',
    test: /has bad mode/,
    advice:
      'An external file substitute differs from the original in its permission bits: chmod it to match, or pass skipFileRwxCheck: true.',
  },
  {
    code: 'RESTORE_FAILED',
    test: /has bad size/,
    advice:
      'An external file substitute differs from the original in size: use a file of the dumped size (see the fd table).',
  },
  {
    code: 'DUMP_FAILED',
    test: /session leader of \d+\(\d+\) is outside of its pid namespace/,
    advice:
      "The process shares a session whose leader is invisible from this pid namespace (a container's runtime); start it as a session leader (node-criu's spawn(), or setsid).",
  },
  {
    code: 'NO_SUCH_PROCESS',
    test: /No process with pid|Can't (?:seize|attach to) task|No such process/,
    advice: 'Check that the pid exists and is not exiting.',
  },
];

export async function explainFailure(response: Response, context: FailureContext, cause?: unknown): Promise<CriuError> {
  const logErrors = await readLogErrors(context.logPath);
  const meaningful = meaningfulErrors(logErrors);
  const joined = meaningful.join('\n');
  let code = context.fallback;
  let advice = `See CRIU's log: ${context.logPath}`;
  if (response.crErrno === ESRCH && context.operation === 'checkpoint') {
    code = 'NO_SUCH_PROCESS';
    advice = 'The process exited or never existed.';
  } else {
    const match = CAUSES.find((c) => c.test.test(joined)) ?? (response.crErrno === EEXIST ? CAUSES[0] : undefined);
    if (match) {
      code = match.code;
      advice = `${match.advice} CRIU's log: ${context.logPath}`;
    }
  }
  const verb = context.operation === 'checkpoint' ? 'checkpoint' : context.operation;
  const target = context.pid ? ` pid ${context.pid}` : '';
  const reason = meaningful[0] ?? 'no error in the log';
  return new CriuError(code, `CRIU could not ${verb}${target}: ${stripPrefix(reason)}. ${advice}`, {
    operation: context.operation,
    pid: context.pid,
    criuErrno: response.crErrno || undefined,
    logErrors,
    logPath: context.logPath,
    cause,
  });
}

/** `Error (criu/cr-dump.c:123): msg` -> `msg (criu/cr-dump.c:123)`. */
function stripPrefix(line: string): string {
  const m = /^Error \(([^)]*)\):\s*(.*)$/.exec(line);
  return m ? `${m[2]} (${m[1]})` : line;
}
