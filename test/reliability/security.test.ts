// Security: private images dirs, untrusted images refused unless allowed, no shell, non-root explained.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Checkpoint, checkpoint, restore, verifyImages } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { readableInstall } from '../helpers/readable-install.js';
import { criuFailure } from '../helpers/reliability-faults.js';
import { deadPid } from '../helpers/reliability-fuzz.js';
import { killAll, scratchDir, startCounter } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const NOBODY = 65534;
let cp: Checkpoint;

before(async () => {
  if (skip) return;
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cp = await checkpoint(victim.pid, { leaveRunning: true });
  killAll([victim.pid]);
});

function copy(): string {
  const dir = join(scratchDir(), 'images');
  cpSync(cp.imagesDir, dir, { recursive: true });
  return dir;
}

test('images dirs are created 0700 (default and requested), no image writable by others', { skip }, async () => {
  assert.equal(statSync(cp.imagesDir).mode & 0o777, 0o700);
  // CRIU creates images 0644 (the 0700 dir keeps them private); none may be writable by others.
  for (const name of readdirSync(cp.imagesDir)) {
    assert.equal(statSync(join(cp.imagesDir, name)).mode & 0o022, 0, `${name} is writable by others`);
  }
  const victim = await startCounter(join(scratchDir(), 'count'));
  const requested = join(scratchDir(), 'a', 'b');
  try {
    await checkpoint(victim.pid, { imagesDir: requested, leaveRunning: true });
  } finally {
    killAll([victim.pid]);
  }
  assert.equal(statSync(requested).mode & 0o777, 0o700);
});

const untrusted: { name: string; spoil: (dir: string) => void; why: RegExp }[] = [
  { name: 'a dir owned by another user', spoil: (d) => chownSync(d, NOBODY, NOBODY), why: /owned by uid 65534/ },
  { name: 'a group-writable dir', spoil: (d) => chmodSync(d, 0o770), why: /writable by group or others/ },
  {
    name: 'an image owned by another user',
    spoil: (d) => chownSync(join(d, 'pstree.img'), NOBODY, NOBODY),
    why: /pstree\.img is owned by uid 65534/,
  },
  {
    name: 'an others-writable image',
    spoil: (d) => chmodSync(join(d, 'pages-1.img'), 0o606),
    why: /pages-1\.img is writable/,
  },
];

for (const c of untrusted) {
  test(`${c.name} is refused by verify and restore, and accepted when explicitly allowed`, { skip }, async () => {
    const dir = copy();
    c.spoil(dir);
    const attempts = [() => verifyImages(dir), () => restore(dir), () => restore(dir, { verify: false })];
    for (const attempt of attempts) {
      const failure = await criuFailure(attempt());
      assert.equal(failure.code, 'IMAGE_INTEGRITY');
      assert.match(failure.message, c.why);
      assert.match(failure.message, /allowUntrustedImages/);
    }
    const result = await verifyImages(dir, { allowUntrustedImages: true });
    assert.ok(result.digestsChecked > 0);
    // Allowed explicitly, the restore gets past the checks (to CRIU, where the copy's pids are
    // still held by the first restore's tree or freed: either way not an integrity refusal).
    const allowed = await restore(dir, { allowUntrustedImages: true, pidWaitTimeout: 1 }).then(
      (p) => {
        p.kill('SIGKILL');
        return 'restored';
      },
      (e: { code?: string }) => e.code,
    );
    assert.notEqual(allowed, 'IMAGE_INTEGRITY');
  });
}

test('no shell anywhere in src/: no shell: true, no exec()/execSync(), no sh -c', () => {
  const root = fileURLToPath(new URL('../../../src/', import.meta.url));
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 20);
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    assert.doesNotMatch(text, /shell:\s*true/, file);
    assert.doesNotMatch(text, /(?<![.\w])(?:exec|execSync)\s*\(/, file);
    assert.doesNotMatch(text, /['"](?:\/bin\/)?(?:ba)?sh['"]\s*,\s*\[\s*['"]-c['"]/, file);
  }
});

test('as nobody: check() says what is missing and checkpoint() fails with a typed error', { skip }, (t) => {
  const install = readableInstall();
  t.after(() => install.remove());
  const index = join(install.root, 'dist/src/index.js');
  const script = `
    const m = await import(${JSON.stringify(index)});
    const result = await m.check();
    let code;
    try { await m.checkpoint(${deadPid()}); } catch (e) { code = e.code ?? e.name; }
    console.log(JSON.stringify({ usable: result.usable, problems: result.problems.map((p) => p.code + ': ' + p.message), code }));`;
  const r = spawnSync(
    'runuser',
    ['-u', 'nobody', '--', 'env', 'NODE_CRIU_BACKEND=criu', install.node, '--input-type=module', '-e', script],
    { encoding: 'utf8', cwd: install.root },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { usable: boolean; problems: string[]; code: string };
  assert.equal(out.usable, false);
  assert.ok(
    out.problems.some((p) => /^NOT_PERMITTED: .*root/.test(p)),
    out.problems.join('\n'),
  );
  assert.ok(
    ['NOT_PERMITTED', 'NO_SUCH_PROCESS', 'CRIU_NOT_FOUND', 'CRIU_TOO_OLD', 'PROTOCOL'].includes(out.code),
    out.code,
  );
});
