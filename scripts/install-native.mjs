#!/usr/bin/env node
// The package's install step: use the prebuilt addon and launcher (prebuilds/<platform>-<arch>/)
// when they load here, build them from source otherwise, and never fail the install: the
// simulator backend needs no native code, and the CRIU backend's error says what is missing.
// `npm rebuild node-criu` (or --build-from-source) always builds from source.
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ADDON_FILE,
  buildDir,
  buildNative,
  LAUNCHER_FILE,
  missingBuildTools,
  prebuildDir,
  root,
} from './native-build.mjs';

/** Where the outcome is kept for the library's error (src/native/addon-dirs.ts reads it). */
const NOTE = join(root, 'build', 'install-note.txt');

const say = (msg) => console.error(`node-criu: ${msg}`);

/** The reason the addon and launcher in `dir` cannot be used here, or undefined if they can. */
function unusable(dir) {
  try {
    accessSync(join(dir, LAUNCHER_FILE), constants.X_OK);
    createRequire(import.meta.url)(join(dir, ADDON_FILE));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** Ends the install successfully, keeping `note` (why there is no addon) for the library's error. */
function finish(note) {
  if (note) {
    say(note);
    mkdirSync(join(root, 'build'), { recursive: true });
    writeFileSync(NOTE, `${note}\n`);
  }
  process.exit(0);
}

rmSync(NOTE, { force: true });
if (process.platform !== 'linux') {
  // binding.gyp builds nothing there either: CRIU is Linux-only.
  finish(`no native addon on ${process.platform}: the simulator backend works; the CRIU backend needs Linux.`);
}

// npm sets npm_command for the scripts it runs; --build-from-source sets npm_config_build_from_source.
const fromSource =
  process.env.npm_command === 'rebuild' ||
  ['true', 'node-criu'].includes(process.env.npm_config_build_from_source ?? '');
if (!fromSource) {
  if (existsSync(join(buildDir, ADDON_FILE)) && !unusable(buildDir)) finish();
  const why = existsSync(prebuildDir)
    ? unusable(prebuildDir)
    : `no prebuilt addon for ${process.platform}-${process.arch}`;
  if (!why) finish();
  say(`${why}: building the addon from source`);
}

const missing = missingBuildTools();
if (missing.length > 0) {
  finish(
    `the native addon was not built: ${missing.join(', ')} not found. The simulator backend works; for the CRIU backend install python3, make and g++, then run 'npm rebuild node-criu'.`,
  );
}
// -Werror in node-criu's own clone only (its builds are the project's); never in a user's build.
const built = buildNative({ werror: existsSync(join(root, '.git')), stdio: 'pipe' });
if (built.status !== 0 || unusable(buildDir)) {
  const output = `${built.stdout ?? ''}${built.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.error(output);
  finish(
    `building the native addon failed (node-gyp exit ${built.status ?? built.signal}; its output above, or run 'npm rebuild node-criu --foreground-scripts'). The simulator backend works; the CRIU backend needs the addon.`,
  );
}
say(`built the native addon from source into ${buildDir}`);
