// The CLI's `dump` command: checkpoints a process tree into an images dir (see checkpoint()).
import { parseArgs } from 'node:util';
import { checkpoint } from '../index.js';
import { common, commonOptions } from './common-flags.js';
import { integerArg } from './integer-arg.js';
import { emit, printCheckpoint } from './output.js';
import { contentsChoice, sysvSelection } from './sysv-flags.js';
import { UsageError, usageErrors } from './usage-error.js';

/** `node-criu dump <pid> -D <dir> [flags]`: exit code 0 once the images are written. */
export async function cmdDump(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...common,
        'images-dir': { type: 'string', short: 'D' },
        'leave-running': { type: 'boolean' },
        'shell-job': { type: 'boolean' },
        'tcp-established': { type: 'boolean' },
        'file-locks': { type: 'boolean' },
        'ext-unix-sk': { type: 'boolean' },
        external: { type: 'string', multiple: true },
        'leave-out': { type: 'string', multiple: true },
        'sysv-snapshot': { type: 'string', multiple: true },
        'sysv-leave-out-contents': { type: 'string', multiple: true },
      },
    }),
  );
  if (positionals.length !== 1) throw new UsageError('dump takes exactly one pid.');
  const snapshot = sysvSelection(values['sysv-snapshot'] ?? []);
  const leaveOutContents = contentsChoice(values['sysv-leave-out-contents'] ?? []);
  const pid = integerArg(positionals[0], 'pid') as number;
  if (!values['images-dir']) throw new UsageError('dump needs -D <dir>.');
  const cp = await checkpoint(pid, {
    ...commonOptions(values),
    imagesDir: values['images-dir'],
    leaveRunning: values['leave-running'] ?? false,
    shellJob: values['shell-job'] ?? false,
    tcpEstablished: values['tcp-established'] ?? false,
    fileLocks: values['file-locks'] ?? false,
    extUnixSk: values['ext-unix-sk'] ?? false,
    external: values.external ?? [],
    leaveOut: (values['leave-out'] ?? []).map((fd) => integerArg(fd, '--leave-out') as number),
    ...(snapshot || leaveOutContents
      ? { sysv: { ...(snapshot ? { snapshot } : {}), ...(leaveOutContents ? { leaveOutContents } : {}) } }
      : {}),
  });
  emit(values.json, cp, () => printCheckpoint(cp));
  return 0;
}
