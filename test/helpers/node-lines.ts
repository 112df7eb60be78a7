// Node release lines for tests of Node children: the provisioned Node 24 (scripts/provision-node.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

let node24: string | undefined;

/**
 * The path of the project's Node 24 (.cache/node-24/bin/node). `npm test` provisions it in its
 * set-up; the provisioning script reuses a working cached binary at once and otherwise downloads
 * it, so this works on a clone where only the tests were built.
 */
export function node24Path(): string {
  node24 ??= execFileSync(process.execPath, [join(root, 'scripts/provision-node.mjs'), '--major=24'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return node24;
}
