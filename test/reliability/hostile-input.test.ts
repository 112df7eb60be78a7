// Hostile input: fuzzed CLI argv and option objects, corrupt images, escaping manifests, symlinks.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { type Checkpoint, checkpoint, isCriuError, restore, verifyImages } from '../../src/index.js';
import { MANIFEST_NAME } from '../../src/integrity/manifest.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { mutators, prng } from '../helpers/images-mutate.js';
import { assertNoneAlive, criuFailure } from '../helpers/reliability-faults.js';
import { fuzzCli, fuzzOptions } from '../helpers/reliability-fuzz.js';
import { zombieChildren } from '../helpers/reliability-probes.js';
import { scratchDir, startCounter, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
let cp: Checkpoint;

before(async () => {
  if (skip) return;
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  await waitGone(victim.pid);
});

function copy(): string {
  const dir = join(scratchDir(), 'images');
  cpSync(cp.imagesDir, dir, { recursive: true });
  return dir;
}

test('16 fuzzed argv for the CLI: exit 0, 1 with an error code or 2 with usage, never a stack trace', async () => {
  const tally = await fuzzCli(8, 40, scratchDir());
  assert.equal(
    Object.values(tally).reduce((a, b) => a + b, 0),
    40,
  );
});

test('300 fuzzed option objects to checkpoint()/restore(): TypeError, RangeError or CriuError, never a hang', {
  skip,
}, async () => {
  const tally = await fuzzOptions(8, 300, scratchDir());
  assert.ok(
    Object.keys(tally).some((k) => k.startsWith('CriuError')),
    JSON.stringify(tally),
  );
  assert.ok((tally.TypeError ?? 0) > 0, JSON.stringify(tally));
});

test('corrupt images reaching restore (verify: false): a typed error, nothing left alive, no zombie', {
  skip,
}, async () => {
  const random = prng(8);
  const flip = mutators['bit flips'] as (typeof mutators)[string];
  const names = ['pstree.img', 'inventory.img', `core-${cp.pid}.img`, `mm-${cp.pid}.img`, 'files.img'];
  for (const name of names) {
    const dir = copy();
    const path = join(dir, name);
    const original = readFileSync(path);
    let mutant = original;
    // Bit flips can cancel out: flip until the image really differs.
    while (Buffer.compare(mutant, original) === 0) mutant = Buffer.from(flip(new Uint8Array(original), random, []));
    writeFileSync(path, mutant);
    await assert.rejects(restore(dir), (e) => isCriuError(e, 'IMAGE_INTEGRITY'));
    const outcome = await restore(dir, { verify: false }).then(
      async (r) => {
        // A mutation CRIU does not notice (an unused field) may restore: then it is ended.
        r.kill('SIGKILL');
        await r.exited;
        return 'restored';
      },
      (e: unknown) => (isCriuError(e) ? e.code : `untyped ${String(e)}`),
    );
    assert.doesNotMatch(outcome, /^untyped/, `${name}: ${outcome}`);
    await assertNoneAlive(cp.pids);
  }
  assert.deepEqual(zombieChildren(), []);
});

for (const name of ['../outside.img', '/etc/passwd', 'a/../../x.img', '..', '.']) {
  test(`a manifest naming '${name}' is refused before anything is read`, { skip }, async () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'));
    manifest.files[name] = { size: 1 };
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(manifest), { mode: 0o600 });
    const failure = await criuFailure(restore(dir));
    assert.equal(failure.code, 'IMAGE_INTEGRITY');
    assert.match(failure.message, /would leave the images dir/);
  });
}

test('an image replaced by a symlink to a file outside is refused, and the file is not read', { skip }, async () => {
  const dir = copy();
  const outside = join(scratchDir(), 'canary');
  cpSync(join(dir, 'pstree.img'), outside);
  // atime older than mtime: any read would move it (relatime).
  utimesSync(outside, new Date(1000), new Date());
  const atime = statSync(outside).atimeMs;
  renameSync(join(dir, 'pstree.img'), join(dir, 'pstree.orig'));
  symlinkSync(outside, join(dir, 'pstree.img'));
  for (const attempt of [() => restore(dir), () => verifyImages(dir)]) {
    const failure = await criuFailure(attempt());
    assert.equal(failure.code, 'IMAGE_INTEGRITY');
    assert.match(failure.message, /symlink/);
  }
  assert.equal(statSync(outside).atimeMs, atime, 'the file outside the images dir was read');
});
