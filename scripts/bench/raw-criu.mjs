// Raw CRIU through its CLI, the B side of every comparison: the binary node-criu finds, at CRIU's
// defaults (its own log level; the log goes to a file for diagnosis), images on the same tmpfs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareKernelCache } from '../../dist/src/criu/kernel-cache.js';
import { locateCriu } from '../../dist/src/criu/locate.js';

/** The CRIU node-criu would use (same lookup: CRIU_BIN, the project's .criu/, PATH). */
export const criuPath = locateCriu(undefined, 'checkpoint').path;
// Raw CRIU keeps its kernel probe in the cache that node-criu's runs set up, as it does in /run on
// hosts where /run is a tmpfs: the comparison is with CRIU at its fastest.
prepareKernelCache(criuPath);

/** Runs the CLI; rejects with the log's Error lines when it fails. */
function runCriu(args, dir, logFile, stdio = 'ignore') {
  return new Promise((resolve, reject) => {
    const child = spawn(criuPath, args, { stdio });
    // Our ends of any 'pipe' stdio are of no use here: the restored tree keeps its own.
    for (const stream of child.stdio) stream?.destroy();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      let errors = '';
      try {
        const log = readFileSync(join(dir, logFile), 'utf8').split('\n');
        errors = log
          .filter((l) => l.includes('Error'))
          .slice(-5)
          .join('\n');
      } catch {}
      reject(new Error(`criu ${args[0]} failed (${code ?? signal}):\n${errors}`));
    });
  });
}

/** CRIU's defaults, log level included (node-criu logs at level 4 for its errors: that is its cost). */
function common(dir, logFile) {
  return ['-D', dir, '-o', logFile];
}

/** `criu dump -t PID`; resolves when the CLI exits. */
export function rawDump(pid, dir, { leaveRunning = false, shellJob = false } = {}) {
  const args = ['dump', '-t', String(pid), ...common(dir, 'dump.log')];
  if (leaveRunning) args.push('--leave-running');
  if (shellJob) args.push('--shell-job');
  return runCriu(args, dir, 'dump.log');
}

/**
 * `criu restore -d`: resolves once the tree runs and the CLI has exited. `inherit` is a list of
 * `[key, fd]` for --inherit-fd, with `stdio` giving the CLI those fds.
 */
export function rawRestore(dir, { shellJob = false, inherit = [], stdio = 'ignore' } = {}) {
  const args = ['restore', '-d', ...common(dir, 'restore.log')];
  if (shellJob) args.push('--shell-job');
  for (const [key, fd] of inherit) args.push('--inherit-fd', `fd[${fd}]:${key}`);
  return runCriu(args, dir, 'restore.log', stdio);
}
