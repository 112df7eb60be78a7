// Where node-criu's launcher executable (native/launcher.cc) is, built by binding.gyp beside the addon.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CriuError } from '../errors.js';

export const LAUNCHER_FILE = 'node_criu_launcher';

/** node-gyp's Release and Debug outputs under the package root (this file is dist/src/launch/). */
function candidatePaths(): string[] {
  const root = new URL('../../../', import.meta.url);
  return ['build/Release/', 'build/Debug/'].map((dir) => fileURLToPath(new URL(dir + LAUNCHER_FILE, root)));
}

/** The launcher's path, or UNSUPPORTED naming every place looked at and how to build it. */
export function launcherPath(): string {
  const paths = candidatePaths();
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Try the next one.
    }
  }
  const where = process.platform === 'linux' ? '' : ` It exists only on Linux (this is ${process.platform}).`;
  throw new CriuError(
    'UNSUPPORTED',
    `node-criu's launcher (${LAUNCHER_FILE}), which spawn() and fork() start children through, was not found at ${paths.join(' or ')}. Build it with \`npm run build:native\` in the node-criu package directory (needs python3, make and g++).${where}`,
    { operation: 'spawn' },
  );
}
