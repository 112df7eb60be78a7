// Finds the CRIU binary: option criuPath, env CRIU_BIN, the project's .criu/, then PATH.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriuError, type CriuOperation } from '../errors.js';

/** The package root (this file is dist/src/criu/locate.js once built). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where scripts/install-criu.sh builds CRIU (NODE_CRIU_HOME overrides it, as in the script). */
export function projectCriuPath(): string {
  return join(process.env.NODE_CRIU_HOME ?? join(PACKAGE_ROOT, '.criu'), 'bin', 'criu');
}

export interface CriuCandidate {
  path: string;
  /** Which rule found it. */
  source: 'option' | 'CRIU_BIN' | 'project' | 'PATH';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every place looked at, in order, whether or not something is there. */
export function criuCandidates(criuPath?: string): CriuCandidate[] {
  const list: CriuCandidate[] = [];
  if (criuPath) list.push({ path: criuPath, source: 'option' });
  if (process.env.CRIU_BIN) list.push({ path: process.env.CRIU_BIN, source: 'CRIU_BIN' });
  list.push({ path: projectCriuPath(), source: 'project' });
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir) list.push({ path: join(dir, 'criu'), source: 'PATH' });
  }
  return list;
}

/**
 * The CRIU to use. An explicit choice (criuPath, CRIU_BIN) that is not executable is an error
 * rather than silently falling back: the caller asked for that binary.
 */
export function locateCriu(criuPath: string | undefined, operation: CriuOperation): CriuCandidate {
  const candidates = criuCandidates(criuPath);
  for (const candidate of candidates) {
    if (isExecutable(candidate.path)) return candidate;
    if (candidate.source === 'option' || candidate.source === 'CRIU_BIN') {
      throw new CriuError(
        'CRIU_NOT_FOUND',
        `CRIU at ${candidate.path} (from ${candidate.source}) is not an executable file. Fix the path, or unset it to use the project's CRIU ('npm run install-criu').`,
        { operation },
      );
    }
  }
  throw new CriuError(
    'CRIU_NOT_FOUND',
    `CRIU was not found (looked at ${candidates.map((c) => c.path).join(', ')}). Run 'npm run install-criu' (as root, on Debian/Ubuntu) or install CRIU >= 4.1 and set CRIU_BIN.`,
    { operation },
  );
}
