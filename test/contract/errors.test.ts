// Contract: the same mistakes fail with the same error codes on every backend, and lose nothing.
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { type CriuErrorCode, isCriuError } from '../../src/errors.js';
import { verifyImages } from '../../src/integrity/verify.js';
import { forEachBackend, killSimProcesses, waitFor } from '../helpers/contract-backends.js';
import { scratchDir } from '../helpers/victims.js';

after(killSimProcesses);

const fails = (code: CriuErrorCode) => (error: unknown) => isCriuError(error, code);

forEachBackend(({ backend, startEcho, deadPid }) => {
  async function checkpointed(leaveOut?: number[]) {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 2\n/);
    const cp = await backend.checkpoint(victim.pid, leaveOut ? { leaveOut } : {});
    await victim.exited;
    return cp;
  }

  it('a pid that does not exist is NO_SUCH_PROCESS', async () => {
    await assert.rejects(backend.checkpoint(await deadPid()), fails('NO_SUCH_PROCESS'));
  });

  it('an imagesDir that is a file, or under one, is INVALID_IMAGES and the process runs on', async () => {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 1\n/);
    const file = join(scratchDir(), 'a-file');
    writeFileSync(file, 'not a dir');
    for (const imagesDir of [file, join(file, 'below')]) {
      await assert.rejects(
        backend.checkpoint(victim.pid, { imagesDir }),
        (e: unknown) => fails('INVALID_IMAGES')(e) && /is not a directory/.test(String(e)),
      );
    }
    assert.equal(readFileSync(file, 'utf8'), 'not a dir');
    await waitFor(victim.stdout, /tick \d+\n/);
    victim.kill();
    await victim.exited;
  });

  it('substitution mistakes are INVALID_SUBSTITUTION before anything runs, images unchanged', async () => {
    // Fds left out by advice need a substitute (those only left out for their peer get defaults).
    const advised = await checkpointed([1]);
    await assert.rejects(
      backend.restore(advised.imagesDir),
      (e: unknown) =>
        fails('INVALID_SUBSTITUTION')(e) && /fd 1 of pid \d+/.test(String(e)) && !/fd [02] /.test(String(e)),
    );
    const cp = await checkpointed();
    // An fd the process did not have.
    await assert.rejects(
      backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: 'null', 2: 'null', 7: 'null' } }),
      fails('INVALID_SUBSTITUTION'),
    );
    // A kind the process cannot use: a read-only file where it writes.
    const readOnly = join(scratchDir(), 'ro');
    writeFileSync(readOnly, '');
    const fd = openSync(readOnly, 'r');
    try {
      await assert.rejects(
        backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: fd, 2: 'null' } }),
        fails('INVALID_SUBSTITUTION'),
      );
    } finally {
      closeSync(fd);
    }
    // Leave-out advice naming an fd the tree lacks.
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 1\n/);
    await assert.rejects(backend.checkpoint(victim.pid, { leaveOut: [9] }), fails('INVALID_SUBSTITUTION'));
    // SysV contents left out of a tree that has no IPC namespace of its own (host mode never saves them).
    await assert.rejects(
      backend.checkpoint(victim.pid, { sysv: { leaveOutContents: 'all' } }),
      fails('INVALID_SUBSTITUTION'),
    );
    // A { data } refill where there is no namespace of the checkpoint's to refill.
    await assert.rejects(
      backend.restore(cp.imagesDir, {
        fds: { 0: 'null', 1: 'null', 2: 'null' },
        sysv: { shm: { '1': { data: Buffer.alloc(1) } } },
      }),
      fails('INVALID_SUBSTITUTION'),
    );
    victim.kill();
    await victim.exited;
    // Nothing was restored, nothing changed: the checkpoint still verifies and restores.
    await verifyImages(cp.imagesDir);
    const restored = await backend.restore(cp.imagesDir, { fds: { 0: 'null', 1: 'null', 2: 'null' } });
    restored.kill('SIGKILL');
    await restored.exited;
  });

  it('altered images are IMAGE_INTEGRITY; malformed ones read without verification IMAGE_CORRUPT', async () => {
    const cp = await checkpointed();
    const pages = readdirSync(cp.imagesDir).find((n) => n.startsWith('pages-')) as string;
    const bytes = readFileSync(join(cp.imagesDir, pages));
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    writeFileSync(join(cp.imagesDir, pages), bytes);
    const fds = { 0: 'null', 1: 'null', 2: 'null' } as const;
    await assert.rejects(backend.restore(cp.imagesDir, { fds }), fails('IMAGE_INTEGRITY'));
    const pstree = readFileSync(join(cp.imagesDir, 'pstree.img'));
    pstree.writeUInt32LE(0xdeadbeef, 4);
    writeFileSync(join(cp.imagesDir, 'pstree.img'), pstree);
    await assert.rejects(backend.restore(cp.imagesDir, { fds, verify: false }), fails('IMAGE_CORRUPT'));
  });

  it('an abort during the dump is ABORTED and the tree runs on', async () => {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 1\n/);
    const controller = new AbortController();
    const dir = join(scratchDir(), 'images');
    await assert.rejects(
      backend.checkpoint(victim.pid, {
        imagesDir: dir,
        signal: controller.signal,
        hooks: { preDump: () => controller.abort() },
      }),
      fails('ABORTED'),
    );
    // It keeps running (it counts on), and nothing restorable was left.
    await waitFor(victim.stdout, /tick \d+\n/);
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.img')));
    victim.kill();
    await victim.exited;
  });

  it('a hook that refuses stops the restore (ABORTED) and leaves no process', async () => {
    const cp = await checkpointed();
    const fds = { 0: 'null', 1: 'null', 2: 'null' } as const;
    await assert.rejects(backend.restore(cp.imagesDir, { fds, hooks: { preResume: () => false } }), fails('ABORTED'));
    const restored = await backend.restore(cp.imagesDir, { fds });
    restored.kill('SIGKILL');
    await restored.exited;
  });

  it('a dump outliving its timeout is TIMEOUT and the tree runs on', async () => {
    const victim = startEcho();
    await waitFor(victim.stdout, /tick 1\n/);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const dumping = backend.checkpoint(victim.pid, { timeout: 50, hooks: { preDump: () => held } });
    // The hook holds the dump until the timeout has stopped it.
    await assert.rejects(
      dumping.finally(() => release()),
      fails('TIMEOUT'),
    );
    release();
    await waitFor(victim.stdout, /tick \d+\n/);
    victim.kill();
    await victim.exited;
  });
});
