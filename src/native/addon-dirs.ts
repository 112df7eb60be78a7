// Where the addon and the launcher may be, for src/native/load.ts and src/launch/launcher-path.ts,
// and the hint both give when neither is found.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILD_NATIVE, BUILD_TOOLS } from '../fix-hints.js';

/** The package root (this file is dist/src/native/addon-dirs.js once built). */
const root = new URL('../../../', import.meta.url);

/**
 * A build on this machine first (node-gyp's Release, then Debug): there is one only when someone
 * built here (a developer, `npm rebuild node-criu`, or the install step because the prebuild did
 * not load), and it is then the one meant. Then the prebuild the package ships (scripts/prepack.mjs).
 */
export function nativeDirs(): string[] {
  return ['build/Release/', 'build/Debug/', `prebuilds/${process.platform}-${process.arch}/`].map((dir) =>
    fileURLToPath(new URL(dir, root)),
  );
}

/** How to get the native parts, with what the install step said when it could not (scripts/install-native.mjs). */
export function buildHint(): string {
  let note = '';
  try {
    note = ` At install: ${readFileSync(fileURLToPath(new URL('build/install-note.txt', root)), 'utf8').trim()}`;
  } catch {
    // No note: the install step found or built the addon, or never ran (npm --ignore-scripts).
  }
  const where =
    process.platform === 'linux'
      ? ''
      : ` They exist only on Linux (this is ${process.platform}); use the simulator backend here.`;
  return `Build them from source with '${BUILD_NATIVE}' in the project that installed node-criu (needs ${BUILD_TOOLS}).${where}${note}`;
}
