// Contract: every kind of fd substitute works the same on every backend.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { closeSync, createWriteStream, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';
import { fileMatches } from '../helpers/contract-streams.js';
import { scratchDir } from '../helpers/victims.js';

after(killSimProcesses);

forEachBackend(({ backend, startEcho }) => {
  async function checkpointed() {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 2\n/);
    const cp = await backend.checkpoint(victim.pid);
    await victim.exited;
    return cp;
  }

  it("no fds option: the stdio whose other ends were ours become 'pipe' streams, each reported", async () => {
    const cp = await checkpointed();
    const restored = await backend.restore(cp.imagesDir);
    try {
      assert.deepEqual(
        restored.defaultedFds.map((d) => [d.pid, d.fd, d.became]),
        [0, 1, 2].map((fd) => [restored.pid, fd, 'pipe']),
      );
      assert.ok(restored.stdin && restored.stdout && restored.stderr);
      restored.stdin.write('by default\n');
      await waitFor(restored.stdout, /echo by default at \d+\n/);
    } finally {
      restored.kill('SIGKILL');
      await restored.exited;
    }
  });

  it("'null' and a path: the process writes on into the file", async () => {
    const cp = await checkpointed();
    const out = join(scratchDir(), 'out.log');
    const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: { path: out }, 2: 'null' } });
    try {
      assert.equal(restored.stdout, undefined);
      assert.match(await fileMatches(out, /tick \d+\n/), /tick \d+\n/);
    } finally {
      restored.kill('SIGKILL');
      await restored.exited;
    }
  });

  it('an fd number of ours', async () => {
    const cp = await checkpointed();
    const out = join(scratchDir(), 'fd.log');
    const fd = openSync(out, 'a+');
    try {
      const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: fd, 2: fd } });
      await fileMatches(out, /tick \d+\n/);
      restored.kill('SIGKILL');
      await restored.exited;
    } finally {
      closeSync(fd);
    }
  });

  it('a Node stream that has an fd', async () => {
    const cp = await checkpointed();
    const out = join(scratchDir(), 'stream.log');
    const stream = createWriteStream(out, { flags: 'a+' });
    await once(stream, 'open');
    try {
      const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'pipe', 1: stream, 2: stream } });
      restored.stdin?.write('via stream\n');
      await fileMatches(out, /echo via stream at \d+\n/);
      restored.kill('SIGKILL');
      await restored.exited;
    } finally {
      stream.destroy();
    }
  });

  it('a left-out file: a substitute of another size is refused, and accepted with allowSizeChange', async () => {
    const dir = scratchDir();
    const original = join(dir, 'original.log');
    writeFileSync(original, '');
    const fd = openSync(original, 'w');
    const victim = startEcho(['pipe', fd, 'pipe']);
    closeSync(fd);
    victim.stdin.write('x\n');
    await fileMatches(original, /echo x at \d+\n/);
    const cp = await backend.checkpoint(victim.pid, { leaveOut: [1] });
    await victim.exited;
    const row = cp.fds.find((f) => f.fd === 1);
    assert.equal(row?.type, 'file');
    assert.equal(row?.leftOut, true);
    const other = join(dir, 'other.log');
    writeFileSync(other, 'not the same size');
    await assert.rejects(
      backend.restore(cp.imagesDir, { fds: { 0: 'pipe', 1: { path: other }, 2: 'null' } }),
      (error: { code?: string; message?: string }) =>
        error.code === 'INVALID_SUBSTITUTION' && /allowSizeChange/.test(error.message ?? ''),
    );
    const restored = await backend.restore(cp.imagesDir, {
      fds: { 0: 'pipe', 1: { path: other }, 2: 'null' },
      allowSizeChange: true,
    });
    await fileMatches(other, /tick \d+\n/);
    restored.kill('SIGKILL');
    await restored.exited;
  });
});
