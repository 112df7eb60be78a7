// Where the library looks for CRIU: the explicit choices, install-criu's places (the project's
// .criu/, the per-user cache, or NODE_CRIU_HOME alone), then PATH; and what it says when none works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { criuCandidates, locateCriu, PACKAGE_ROOT } from '../../src/criu/locate.js';
import { CriuError } from '../../src/errors.js';

const saved = { ...process.env };
const scratch = mkdtempSync(join(tmpdir(), 'node-criu-locate-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  for (const key of ['CRIU_BIN', 'NODE_CRIU_HOME', 'XDG_CACHE_HOME', 'HOME', 'PATH']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

function setEnv(env: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

const project = join(PACKAGE_ROOT, '.criu/bin/criu');
const table: { name: string; env: Record<string, string | undefined>; expected: [string, string][] }[] = [
  {
    name: 'defaults: the project, ~/.cache/node-criu, then PATH',
    env: { CRIU_BIN: undefined, NODE_CRIU_HOME: undefined, XDG_CACHE_HOME: undefined, HOME: '/home/u', PATH: '/p' },
    expected: [
      ['project', project],
      ['cache', '/home/u/.cache/node-criu/bin/criu'],
      ['PATH', '/p/criu'],
    ],
  },
  {
    name: 'XDG_CACHE_HOME moves the cache',
    env: { CRIU_BIN: '/c/criu', NODE_CRIU_HOME: undefined, XDG_CACHE_HOME: '/xdg', HOME: '/home/u', PATH: '/p:/q' },
    expected: [
      ['CRIU_BIN', '/c/criu'],
      ['project', project],
      ['cache', '/xdg/node-criu/bin/criu'],
      ['PATH', '/p/criu'],
      ['PATH', '/q/criu'],
    ],
  },
  {
    name: 'a relative XDG_CACHE_HOME is ignored (XDG says so)',
    env: { CRIU_BIN: undefined, NODE_CRIU_HOME: undefined, XDG_CACHE_HOME: 'rel', HOME: '/home/u', PATH: '' },
    expected: [
      ['project', project],
      ['cache', '/home/u/.cache/node-criu/bin/criu'],
    ],
  },
  {
    name: 'NODE_CRIU_HOME replaces both',
    env: { CRIU_BIN: undefined, NODE_CRIU_HOME: '/h', XDG_CACHE_HOME: '/xdg', HOME: '/home/u', PATH: '/p' },
    expected: [
      ['NODE_CRIU_HOME', '/h/bin/criu'],
      ['PATH', '/p/criu'],
    ],
  },
];

for (const { name, env, expected } of table) {
  test(`criuCandidates: ${name}`, () => {
    setEnv(env);
    assert.deepEqual(
      criuCandidates().map((c) => [c.source, c.path]),
      expected,
    );
    assert.deepEqual(criuCandidates('/opt/criu')[0], { source: 'option', path: '/opt/criu' });
  });
}

test('locateCriu: nothing found names every place and a command that works in a consumer', () => {
  const dir = scratch;
  setEnv({ CRIU_BIN: undefined, NODE_CRIU_HOME: dir, PATH: join(dir, 'none') });
  assert.throws(
    () => locateCriu(undefined, 'check'),
    (error: unknown) =>
      error instanceof CriuError &&
      error.code === 'CRIU_NOT_FOUND' &&
      error.message.includes(join(dir, 'bin/criu')) &&
      error.message.includes("'npx node-criu install-criu'") &&
      !error.message.includes('npm run'),
  );
});
