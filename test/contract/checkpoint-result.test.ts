// Contract: the Checkpoint result on every backend: typed substitutes (a misspelt keyword refused,
// { path } relative to the current directory), the restore needs it lists, and its removal.
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { restore } from '../../src/index.js';
import type { FdNeed } from '../../src/types.js';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';
import { fileMatches } from '../helpers/contract-streams.js';
import { scratchDir } from '../helpers/victims.js';

after(killSimProcesses);

forEachBackend(({ name, backend, startEcho }) => {
  async function checkpointed(options: { imagesDir?: string } = {}) {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 2\n/);
    const cp = await backend.checkpoint(victim.pid, options);
    await victim.exited;
    return cp;
  }

  it('a misspelt keyword is a TypeError naming the keyword, and no file of that name is made', async () => {
    const cp = await checkpointed();
    const cwd = process.cwd();
    const dir = scratchDir();
    process.chdir(dir);
    try {
      const typo = /'fds\[1\]' is 'pipee', which is not an fd substitute\. Did you mean 'pipe'\?/;
      await assert.rejects(
        restore(cp.imagesDir, { backend: name, fds: { 1: 'pipee' as never } }),
        (e: unknown) => e instanceof TypeError && typo.test(e.message),
      );
      await assert.rejects(backend.restore(cp.imagesDir, { fds: { 1: 'pipee' as never } }), TypeError);
      assert.deepEqual(readdirSync(dir), []);
      // The checkpoint is untouched by the refusals: { path } writes relative to the current directory.
      const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: { path: 'out.log' }, 2: 'null' } });
      try {
        await fileMatches(join(dir, 'out.log'), /tick \d+\n/);
      } finally {
        restored.kill('SIGKILL');
        await restored.exited;
      }
    } finally {
      process.chdir(cwd);
      await cp.remove();
    }
  });

  it('needs: the stdio whose other ends were ours are defaulted as restore defaults them', async () => {
    const cp = await checkpointed();
    assert.deepEqual(
      cp.needs.map((n) => n.kind === 'fd' && [n.fd, n.why, n.substitute, n.default, n.option]),
      [0, 1, 2].map((fd) => [fd, 'outside', 'optional', 'pipe', `fds[${fd}]`]),
    );
    const restored = await backend.restore(cp.imagesDir);
    try {
      assert.deepEqual(
        restored.defaultedFds.map((d) => [d.fd, d.became]),
        cp.needs.map((n) => [(n as FdNeed).fd, (n as FdNeed).default]),
      );
    } finally {
      restored.kill('SIGKILL');
      await restored.exited;
      await cp.remove();
    }
  });

  it('needs: a left-out file is required, exactly what restore refuses without a substitute', async () => {
    const dir = scratchDir();
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const fd = openSync(log, 'a');
    const victim = startEcho(['pipe', fd, 'pipe']);
    closeSync(fd);
    await fileMatches(log, /tick 1\n/);
    const cp = await backend.checkpoint(victim.pid, { leaveOut: [1] });
    await victim.exited;
    const required = cp.needs.filter((n) => n.substitute === 'required');
    assert.deepEqual(
      required.map((n) => n.kind === 'fd' && [n.pid, n.fd, n.type, n.why, n.option]),
      [[victim.pid, 1, 'file', 'leaveOut', 'fds[1]']],
    );
    await assert.rejects(
      backend.restore(cp.imagesDir),
      (e: unknown) =>
        isCriuError(e, 'INVALID_SUBSTITUTION') &&
        e.message.includes(`fd 1 of pid ${victim.pid}`) &&
        !/fd [02] /.test(e.message),
    );
    const restored = await backend.restore(cp.imagesDir, { fds: { 1: { path: log } } });
    restored.kill('SIGKILL');
    await restored.exited;
    await cp.remove();
  });

  it('remove() of a default checkpoint removes its temp dir; again does nothing; it cannot be restored', async () => {
    const cp = await checkpointed();
    assert.ok(existsSync(join(cp.imagesDir, 'node-criu.json')));
    // The data of the result, as JSON, spreads and deep comparisons see it: no removal members.
    assert.ok(!Object.keys(cp).includes('remove'));
    assert.ok(!('remove' in JSON.parse(JSON.stringify(cp))));
    await Promise.all([cp.remove(), cp.remove()]);
    assert.equal(existsSync(cp.imagesDir), false);
    await cp.remove();
    await assert.rejects(backend.restore(cp.imagesDir), (e: unknown) => isCriuError(e, 'INVALID_IMAGES'));
  });

  it('await using removes the checkpoint at the end of its scope', async () => {
    let dir = '';
    {
      await using cp = await checkpointed();
      dir = cp.imagesDir;
      assert.ok(existsSync(dir));
    }
    assert.equal(existsSync(dir), false);
  });

  it("remove() in the caller's dirs removes exactly the checkpoint: the caller's files and dir stay", async () => {
    const parent = scratchDir();
    writeFileSync(join(parent, 'mine.txt'), 'kept');
    // A dir the caller made: it stays, with the file put in it after the checkpoint.
    const made = join(parent, 'made');
    mkdirSync(made);
    const first = await checkpointed({ imagesDir: made });
    writeFileSync(join(made, 'notes.txt'), 'kept');
    await first.remove();
    assert.deepEqual(readdirSync(made), ['notes.txt']);
    // A dir node-criu made (it did not exist): removed, the parent's other files kept.
    const fresh = join(parent, 'fresh');
    const second = await checkpointed({ imagesDir: fresh });
    await second.remove();
    assert.deepEqual(readdirSync(parent).sort(), ['made', 'mine.txt']);
  });
});
