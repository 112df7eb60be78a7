// The link through which a CRIU built by install-criu keeps its kernel probe: made on /dev/shm when
// missing, made again when it names a dir that is not privately ours, and never made for a CRIU
// that was not built to look there.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { prepareKernelCache } from '../../src/criu/kernel-cache.js';

const scratch = mkdtempSync(join(tmpdir(), 'node-criu-kcache-'));
const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** A CRIU home as install-criu leaves it; returns its binary's path. */
function home(name: string, { recipe, runMode = 0o700 }: { recipe?: string; runMode?: number } = {}): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'run'), { recursive: true });
  chmodSync(join(dir, 'run'), runMode);
  writeFileSync(join(dir, 'BUILD'), `${recipe ?? `rundir=${join(dir, 'run', 'kdat')}`}\n`);
  return join(dir, 'bin', 'criu');
}

function target(criuPath: string): string | undefined {
  try {
    const dir = readlinkSync(join(criuPath, '..', '..', 'run', 'kdat'));
    made.push(dir);
    return dir;
  } catch {
    return undefined;
  }
}

test('a home built for the cache gets a link to a private dir on /dev/shm', () => {
  const criu = home('fresh');
  prepareKernelCache(criu);
  const dir = target(criu);
  assert.ok(dir?.startsWith('/dev/shm/node-criu-kdat.'), `link: ${dir}`);
  const st = lstatSync(dir ?? '');
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o700);
  assert.equal(st.uid, process.geteuid?.());
});

test('a link to a dir somebody else made (after a reboot, say) is replaced', () => {
  const criu = home('planted');
  const planted = mkdtempSync('/dev/shm/node-criu-kdat.');
  made.push(planted);
  // As it would be when somebody else made it: open to others, and (where we may) not ours.
  chmodSync(planted, 0o755);
  if (process.geteuid?.() === 0) chownSync(planted, 65534, 65534);
  symlinkSync(planted, join(scratch, 'planted', 'run', 'kdat'));
  prepareKernelCache(criu);
  const dir = target(criu);
  assert.notEqual(dir, planted);
  assert.equal(lstatSync(dir ?? '').uid, process.geteuid?.());
});

test('no link for a CRIU built for another RUNDIR, or a run dir others can enter', () => {
  const other = home('other', { recipe: 'rundir=/run' });
  prepareKernelCache(other);
  assert.equal(target(other), undefined);
  const open = home('open', { runMode: 0o755 });
  prepareKernelCache(open);
  assert.equal(target(open), undefined);
  const bare = join(scratch, 'bare', 'bin', 'criu');
  prepareKernelCache(bare);
  assert.equal(target(bare), undefined);
});
