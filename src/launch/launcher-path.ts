// Where node-criu's launcher executable (native/launcher.cc) is: beside the addon, in a build of
// this machine or in the package's prebuild.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { buildHint, nativeDirs } from '../native/addon-dirs.js';

export const LAUNCHER_FILE = 'node_criu_launcher';

/** The launcher's path, or UNSUPPORTED naming every place looked at and how to build it. */
export function launcherPath(): string {
  const paths = nativeDirs().map((dir) => join(dir, LAUNCHER_FILE));
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Try the next one.
    }
  }
  throw new CriuError(
    'UNSUPPORTED',
    `node-criu's launcher (${LAUNCHER_FILE}), which spawn() and fork() start children through, was not found at ${paths.join(', ')}. ${buildHint()}`,
    { operation: 'spawn' },
  );
}
