// A copy of the built package that another user (nobody) can run, whatever the checkout's mode.
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ReadableInstall {
  /** The copy's package root: import `${root}/dist/src/...` from there. */
  root: string;
  /** A Node binary the other user can execute (process.execPath, or a copy of it). */
  node: string;
  remove(): void;
}

/** Whether `uid` 65534 could execute `path`: every dir on the way searchable by others, the file o+x. */
function othersCanRun(path: string): boolean {
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'test', '-x', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A clone may live in a private directory (0700, like /root): nobody cannot read it, so tests that
 * switch users run a copy of dist/src, the runtime dependencies and the addon, made under the
 * system's temp dir with mode 0755 (and a copy of Node when it lives in the private tree too).
 */
export function readableInstall(): ReadableInstall {
  const root = mkdtempSync(join(tmpdir(), 'node-criu-readable-'));
  chmodSync(root, 0o755);
  const copy = (path: string) => cpSync(join(ROOT, path), join(root, path), { recursive: true });
  copy('package.json');
  copy('dist/src');
  const runtime = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .map((line) => relative(ROOT, line.trim()))
    .filter((path) => path.startsWith('node_modules'));
  for (const dep of runtime) copy(dep);
  try {
    accessSync(join(ROOT, 'build/Release'), constants.R_OK);
    copy('build/Release');
  } catch {
    // No addon here (a simulator-only set-up): the copy has none either.
  }
  let node = process.execPath;
  if (!othersCanRun(node)) {
    node = join(root, 'node');
    cpSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  execFileSync('chmod', ['-R', 'a+rX', root]);
  return { root, node, remove: () => rmSync(root, { recursive: true, force: true }) };
}
