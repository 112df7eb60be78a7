#!/usr/bin/env node
// npm's prepack (npm pack, npm publish): compiles src/ into dist/src/ (dropping what a removed
// source left there) and builds the linux-x64 prebuild of the addon and the launcher into
// prebuilds/, so that the tarball runs without a compiler.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ADDON_FILE, buildDir, buildNative, LAUNCHER_FILE, prebuildDir, root } from './native-build.mjs';

const say = (msg) => console.error(`prepack: ${msg}`);
function fail(msg) {
  console.error(`prepack: failed: ${msg}`);
  process.exit(1);
}

// The prebuild is the tarball's promise: packing elsewhere would ship a package without it.
if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(`the prebuild is made on linux-x64, not ${process.platform}-${process.arch}`);

say('compiling TypeScript (tsconfig.build.json)');
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) fail(`tsc (exit ${tsc.status ?? tsc.signal})`);

// Compiled files whose source is gone would be shipped too; dist/ is otherwise left alone, as the
// tests run from it.
function pruneOrphans(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      pruneOrphans(path);
      continue;
    }
    const stem = relative(join(root, 'dist'), path).replace(/(\.d\.ts|\.js\.map|\.js)$/, '');
    if (!existsSync(join(root, `${stem}.ts`))) {
      say(`removing ${relative(root, path)} (its source is gone)`);
      rmSync(path);
    }
  }
}
pruneOrphans(join(root, 'dist/src'));

say('building the native addon and launcher (-Werror)');
const built = buildNative({ werror: true, silent: true });
if (built.status !== 0) fail(`node-gyp (exit ${built.status ?? built.signal})`);
rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
mkdirSync(prebuildDir, { recursive: true });
for (const file of [ADDON_FILE, LAUNCHER_FILE]) copyFileSync(join(buildDir, file), join(prebuildDir, file));
chmodSync(join(prebuildDir, LAUNCHER_FILE), 0o755);
say(`prebuild in ${relative(root, prebuildDir)}`);
