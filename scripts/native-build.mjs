// How to run node-gyp on the addon and the launcher (binding.gyp), shared by the project's set-up,
// prepack and the install step users run; and where a build's outputs and the prebuilds are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const ADDON_FILE = 'node_criu.node';
export const LAUNCHER_FILE = 'node_criu_launcher';
/** node-gyp's output, and the prebuild of this platform (src/native/addon-dirs.ts looks in both). */
export const buildDir = join(root, 'build', 'Release');
export const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

/**
 * The command that runs node-gyp: the project's pinned devDependency when there is one, else
 * npm's own (npm names it to the scripts it runs: a consumer has no node_modules/node-gyp), else
 * one on PATH.
 */
function nodeGyp() {
  try {
    return [process.execPath, createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    const npmOwn = process.env.npm_config_node_gyp;
    return npmOwn ? [process.execPath, npmOwn] : ['node-gyp'];
  }
}

/** Node's headers from the running Node's own prefix when it ships them (a distro Node does), so that node-gyp need not download them (it cannot offline). */
function nodedirArgs() {
  const prefix = join(process.execPath, '../..');
  if (process.env.npm_config_nodedir) return [];
  return existsSync(join(prefix, 'include/node/node_version.h')) ? [`--nodedir=${prefix}`] : [];
}

/**
 * Builds both targets into build/Release. `werror` is for the project's own builds only: users'
 * builds must not fail on a warning their newer compiler adds. `configure` + `build` rather than
 * `rebuild`: make redoes only what changed, and gyp's makefiles redo an object whose command line
 * (hence -Werror) changed. Returns spawnSync's result; output goes to ours.
 */
export function buildNative({ werror, silent = false, stdio = 'inherit' }) {
  const [cmd, ...pre] = nodeGyp();
  const common = [...nodedirArgs(), ...(silent ? ['--silent'] : [])];
  const opts = { cwd: root, stdio: ['ignore', stdio, stdio], encoding: 'utf8' };
  const configured = spawnSync(cmd, [...pre, 'configure', ...common, '--', `-Dwerror=${werror}`], opts);
  if (configured.status !== 0) return configured;
  return spawnSync(cmd, [...pre, 'build', ...common, '--jobs=max'], opts);
}

/** The tools a build from source needs that are not on PATH (make's default C++ compiler is g++). */
export function missingBuildTools() {
  const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
  const missing = [];
  if (!onPath('python3') && !onPath('python')) missing.push('python3');
  if (!onPath('make')) missing.push('make');
  const cxx = process.env.CXX?.split(' ')[0];
  if (cxx ? !(existsSync(cxx) || onPath(cxx)) : !onPath('g++')) missing.push(cxx ?? 'g++');
  return missing;
}

// As a script (npm run build:native): build, with -Werror when asked.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(buildNative({ werror: process.argv.includes('--werror') }).status ?? 1);
}
