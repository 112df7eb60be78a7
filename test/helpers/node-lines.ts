// Node release lines for tests of Node children: the provisioned Node 22/24/26 (scripts/provision-node.mjs).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Major version of a Node binary (`node --version`). */
export function nodeMajor(node: string): number {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major)) throw new Error(`${node} --version printed ${JSON.stringify(version)}`);
  return major;
}

/** Major version of the Node running the tests. */
export const thisMajor = Number(process.versions.node.split('.')[0]);

/** The Node lines users run (all with libuv io_uring), as scripts/provision-node.mjs TESTED_LINES. */
export const NODE_LINES = [22, 24, 26] as const;

const provisioned = new Map<number, string>();

/**
 * The path of the project's Node `major` (.cache/node-<major>/bin/node). `npm test` provisions
 * every line of NODE_LINES in its set-up; the provisioning script reuses a working cached binary
 * at once and otherwise downloads it, so this works on a clone where only the tests were built.
 */
export function nodePath(major: number): string {
  let path = provisioned.get(major);
  if (path === undefined) {
    path = execFileSync(process.execPath, [join(root, 'scripts/provision-node.mjs'), `--major=${major}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    provisioned.set(major, path);
  }
  return path;
}

/**
 * A Node binary of `major`: the one running the tests or the first `node` on PATH if either is
 * of that line (Node 20 is the machine's own), else the provisioned one.
 */
export function nodeOfMajor(major: number): string {
  if (thisMajor === major) return process.execPath;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (nodeMajor(candidate) === major) return candidate;
  }
  return nodePath(major);
}
