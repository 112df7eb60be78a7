// Real checkpoints for the image codec's tests: compiles the images-* fixtures, starts them
// detached, and dumps them with the CRIU command line (--leave-running), so that every image kind
// CRIU writes for them can be decoded and re-encoded.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The CRIU binary the tests use: $CRIU_BIN, else the project's own build. */
export const criuBin = process.env.CRIU_BIN ?? join(root, '.criu/bin/criu');

/** Why real checkpoints cannot be made here, or false when they can. */
export function checkpointSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'checkpoints need root (CRIU dumps other processes)';
  try {
    accessSync(criuBin, constants.X_OK);
  } catch {
    return `no CRIU binary at ${criuBin} (run npm run install-criu, or set CRIU_BIN)`;
  }
  return false;
}

/**
 * Starts `program args` in a session of its own (setsid: CRIU wants the root to lead its
 * session), stdio on /dev/null (CRIU dumps every fd), and waits until it creates `readyFile`.
 * Returns its pid, which is also its process group's id.
 */
export async function startVictim(program: string, args: string[], readyFile: string): Promise<number> {
  const child = spawn(program, args, { detached: true, stdio: 'ignore' });
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${program} did not start`);
  const deadline = Date.now() + 10_000;
  while (!existsSync(readyFile)) {
    const failure = exited
      ? `${exited} before it was ready`
      : Date.now() > deadline
        ? 'was not ready within 10 s'
        : undefined;
    if (failure) {
      killVictim(pid); // and whatever children it had started
      throw new Error(`${program} ${args.join(' ')} ${failure}`);
    }
    await sleep(10);
  }
  return pid;
}

/** Kills the victim's whole process group (it and its children); a group already gone is fine. */
export function killVictim(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Dumps the tree rooted at `pid` into `imagesDir`, leaving it running. */
export async function dumpTree(pid: number, imagesDir: string, extra: string[] = []): Promise<void> {
  mkdirSync(imagesDir, { recursive: true });
  const args = ['dump', '-t', String(pid), '-D', imagesDir, '--leave-running', '-v4', '-o', 'dump.log', ...extra];
  try {
    await promisify(execFile)(criuBin, args);
  } catch (error) {
    let errors = '';
    try {
      errors = readFileSync(join(imagesDir, 'dump.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('Error'))
        .join('\n');
    } catch {}
    throw new Error(`criu ${args.join(' ')} failed: ${String(error)}\n${errors}`);
  }
}
