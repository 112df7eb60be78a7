// Finds the CRIU binary: option criuPath, env CRIU_BIN, the project's .criu/, the per-user cache,
// then PATH.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriuError, type CriuOperation } from '../errors.js';
import { INSTALL_CRIU } from '../fix-hints.js';

/** The package root (this file is dist/src/criu/locate.js once built). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The dirs scripts/install-criu.sh installs into, as it picks them: $NODE_CRIU_HOME when set
 * (then the only one); else the package's .criu/ (where the project's own clone installs) and the
 * per-user cache, $XDG_CACHE_HOME/node-criu or ~/.cache/node-criu (where a consumer's install
 * goes: node_modules is wiped by the next `npm ci`).
 */
function criuHomes(): { dir: string; source: 'NODE_CRIU_HOME' | 'project' | 'cache' }[] {
  const { NODE_CRIU_HOME, XDG_CACHE_HOME } = process.env;
  if (NODE_CRIU_HOME) return [{ dir: NODE_CRIU_HOME, source: 'NODE_CRIU_HOME' }];
  // XDG: a relative $XDG_CACHE_HOME is invalid and to be ignored.
  const cache = XDG_CACHE_HOME?.startsWith('/') ? XDG_CACHE_HOME : join(homedir(), '.cache');
  return [
    { dir: join(PACKAGE_ROOT, '.criu'), source: 'project' },
    { dir: join(cache, 'node-criu'), source: 'cache' },
  ];
}

export interface CriuCandidate {
  path: string;
  /** Which rule found it. */
  source: 'option' | 'CRIU_BIN' | 'NODE_CRIU_HOME' | 'project' | 'cache' | 'PATH';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every place looked at, in order, whether or not something is there. install-criu's places come
 * before PATH: it installs only when the criu on PATH is unusable (too old, or `criu check`
 * fails), so one found on PATH first would hide the very CRIU it installed.
 */
export function criuCandidates(criuPath?: string): CriuCandidate[] {
  const list: CriuCandidate[] = [];
  if (criuPath) list.push({ path: criuPath, source: 'option' });
  if (process.env.CRIU_BIN) list.push({ path: process.env.CRIU_BIN, source: 'CRIU_BIN' });
  for (const { dir, source } of criuHomes()) list.push({ path: join(dir, 'bin', 'criu'), source });
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
        `CRIU at ${candidate.path} (from ${candidate.source}) is not an executable file. Fix the path, or unset it to use one installed by '${INSTALL_CRIU}'.`,
        { operation },
      );
    }
  }
  throw new CriuError(
    'CRIU_NOT_FOUND',
    `CRIU was not found (looked at ${candidates.map((c) => c.path).join(', ')}). Run '${INSTALL_CRIU}' (as root, on Debian/Ubuntu) or install CRIU >= 4.1 and set CRIU_BIN.`,
    { operation },
  );
}
