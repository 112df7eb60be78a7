// The fd table read from /proc: through the addon (as a checkpoint reads it) and through Node's fs
// (where the addon is not loaded) it must be the same table, row for row.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readTreeFds } from '../../src/fds/proc-fds.js';
import { loadNative } from '../../src/native.js';

// A process holding one fd of each kind the table tells apart, then waiting for stdin to close.
const HOLDER = `
import os, socket, sys
d = sys.argv[1]
keep = [open(d + '/file', 'w+'), os.open(d, os.O_RDONLY | os.O_DIRECTORY), *os.pipe(), *socket.socketpair(),
        os.eventfd(0), open('/dev/null', 'rb')]
gone = open(d + '/deleted', 'a'); gone.write('12345'); gone.flush(); os.unlink(d + '/deleted')
tcp = socket.socket(); tcp.bind(('127.0.0.1', 0)); tcp.listen()
keep[0].write('abc'); keep[0].flush(); os.lseek(keep[0].fileno(), 1, 0)
print('ready', flush=True)
sys.stdin.read()
`;

/** readTreeFds of `pid` run by a fresh Node that never loads the addon: the fs path. */
async function tableWithoutAddon(pid: number): Promise<unknown> {
  const module = new URL('../../src/fds/proc-fds.js', import.meta.url).href;
  const script = `const { readTreeFds } = await import(${JSON.stringify(module)}); console.log(JSON.stringify(await readTreeFds(${pid})));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout);
}

test('the fd table read through the addon equals the one read through Node fs, for every kind of fd', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-criu-proc-fds-'));
  const holder = spawn('python3', ['-c', HOLDER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await once(holder.stdout, 'data');
    const pid = holder.pid as number;
    loadNative();
    const viaAddon = await readTreeFds(pid);
    const viaFs = await tableWithoutAddon(pid);
    assert.deepEqual(JSON.parse(JSON.stringify(viaAddon)), viaFs);
    // The table is what the holder has, not two equal empty ones.
    const types = new Set(viaAddon.map((row) => row.type));
    for (const type of ['file', 'dir', 'pipe', 'unix', 'eventfd', 'inet'] as const) assert.ok(types.has(type), type);
    const file = viaAddon.find((row) => row.path === join(dir, 'file'));
    assert.equal(file?.position, 1);
    assert.equal(file?.size, 3);
    assert.equal(file?.access, 'rw');
    assert.ok(viaAddon.some((row) => row.target === `${join(dir, 'deleted')} (deleted)` && row.size === 5));
  } finally {
    holder.stdin.end();
    await once(holder, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readProcFds: a process that is gone has no fds; a pid that is not one is refused', async () => {
  const native = loadNative();
  const child = spawn('true');
  await once(child, 'exit');
  assert.deepEqual(native.readProcFds(child.pid as number), []);
  assert.throws(() => native.readProcFds(0), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => native.readProcFds(1.5), { code: 'ERR_OUT_OF_RANGE' });
});
