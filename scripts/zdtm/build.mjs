#!/usr/bin/env node
// Extracts CRIU's zdtm test suite (test/zdtm of the CRIU source tarball that
// scripts/install-criu.sh keeps in .criu/src/) into .criu/zdtm/<version>/ and builds its lib and the
// chosen static tests with zdtm's own Makefiles. Idempotent; `node scripts/zdtm/build.mjs [names...]`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TESTS } from './list.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOME = process.env.NODE_CRIU_HOME ?? join(ROOT, '.criu');

/** The kept CRIU source tarball; asks install-criu.sh --source for it when it is missing. */
export function sourceTarball(log = () => {}) {
  const kept = () => {
    const dir = join(HOME, 'src');
    if (!existsSync(dir)) return undefined;
    const found = readdirSync(dir)
      .filter((f) => /^criu_.+\.orig\.tar\.[a-z0-9]+$/.test(f))
      .sort();
    return found.length ? join(dir, found[found.length - 1]) : undefined;
  };
  let tarball = kept();
  if (tarball) return tarball;
  log('CRIU source tarball missing: scripts/install-criu.sh --source');
  const r = spawnSync('bash', [join(ROOT, 'scripts/install-criu.sh'), '--source'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  tarball = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !tarball || !existsSync(tarball)) {
    throw new Error(`scripts/install-criu.sh --source failed (exit ${r.status})`);
  }
  return tarball;
}

/**
 * Makes .criu/zdtm/<version>/{lib,static} and builds the tests named (default: the whole list).
 * Returns { dir, staticDir, version, built: names that built, failed: { name: last lines of make } }.
 */
export function buildZdtm(names = TESTS.map((t) => t.name), log = () => {}) {
  const tarball = sourceTarball(log);
  const version = /criu_(.+)\.orig\.tar/.exec(tarball)?.[1] ?? 'unknown';
  const dir = join(HOME, 'zdtm', version);
  const stamp = join(dir, '.extracted');
  if (!existsSync(stamp)) {
    log(`extracting test/zdtm of ${tarball} into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // <top>/test/zdtm/... -> <dir>/...
    execFileSync('tar', ['-xf', tarball, '-C', dir, '--strip-components=3', '--wildcards', '*/test/zdtm/*'], {
      stdio: 'inherit',
    });
    writeFileSync(stamp, `${tarball}\n`);
  }
  const staticDir = join(dir, 'static');
  const make = (args, cwd) =>
    spawnSync('make', ['--no-print-directory', `-j${Math.max(2, availableParallelism())}`, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  if (!existsSync(join(dir, 'lib', 'libzdtmtst.a'))) {
    log('building zdtm lib');
    const r = make([], join(dir, 'lib'));
    if (r.status !== 0) throw new Error(`building zdtm lib failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  const todo = names.filter((n) => !existsSync(join(staticDir, n)));
  if (todo.length) {
    log(`building ${todo.length} zdtm static tests`);
    make(['-k', ...todo], staticDir); // -k: one test that does not build must not stop the others
  }
  const built = [];
  const failed = {};
  for (const n of names) {
    if (existsSync(join(staticDir, n))) built.push(n);
    else {
      const r = make([n], staticDir);
      failed[n] = (r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n');
    }
  }
  return { dir, staticDir, version, built, failed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2);
  const out = buildZdtm(names.length ? names : undefined, (m) => console.error(`[zdtm] ${m}`));
  console.log(`${out.built.length} built in ${out.staticDir}`);
  for (const [n, why] of Object.entries(out.failed)) console.log(`FAILED ${n}:\n${why}`);
  process.exit(Object.keys(out.failed).length ? 1 : 0);
}
