// Option validation: every mistake is caught before anything runs, with a helpful message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpoint, restore } from '../../src/index.js';
import { validateCheckpointOptions, validatePid, validateRestoreOptions } from '../../src/options.js';

const cases: { name: string; run: () => unknown; error: typeof TypeError | typeof RangeError; message: RegExp }[] = [
  {
    name: 'misspelt option',
    run: () => validateCheckpointOptions({ leaveRuning: true }),
    error: TypeError,
    message: /Unknown option 'leaveRuning'. Did you mean 'leaveRunning'\?/,
  },
  {
    name: 'unknown option far from any',
    run: () => validateCheckpointOptions({ zzzzzzzzzz: 1 }),
    error: TypeError,
    message: /^Unknown option 'zzzzzzzzzz'\.$/,
  },
  {
    name: 'boolean of the wrong type',
    run: () => validateCheckpointOptions({ shellJob: 'yes' }),
    error: TypeError,
    message: /'shellJob' must be a boolean, got string/,
  },
  {
    name: 'external not a string list',
    run: () => validateCheckpointOptions({ external: ['ok', 3] }),
    error: TypeError,
    message: /'external' must be an array of non-empty strings/,
  },
  {
    name: 'negative timeout',
    run: () => validateCheckpointOptions({ timeout: -1 }),
    error: RangeError,
    message: /'timeout' must be between 1 and/,
  },
  {
    name: 'fractional ghostLimit',
    run: () => validateCheckpointOptions({ ghostLimit: 1.5 }),
    error: TypeError,
    message: /'ghostLimit' must be an integer/,
  },
  {
    name: 'signal not an AbortSignal',
    run: () => validateCheckpointOptions({ signal: {} }),
    error: TypeError,
    message: /'signal' must be an AbortSignal/,
  },
  {
    name: 'unknown hook',
    run: () => validateCheckpointOptions({ hooks: { postDumpp: () => {} } }),
    error: TypeError,
    message: /Unknown option 'hooks.postDumpp'. Did you mean 'postDump'\?/,
  },
  {
    name: 'hook not a function',
    run: () => validateCheckpointOptions({ hooks: { postDump: 1 } }),
    error: TypeError,
    message: /'hooks.postDump' must be a function/,
  },
  {
    name: 'restore-only option on checkpoint',
    run: () => validateCheckpointOptions({ inheritFds: {} }),
    error: TypeError,
    message: /Unknown option 'inheritFds'/,
  },
  {
    name: 'inheritFds with a bad fd',
    run: () => validateRestoreOptions({ inheritFds: { 'pipe:[1]': -2 } }),
    error: RangeError,
    message: /inheritFds\['pipe:\[1\]'\]' must be between 0/,
  },
  {
    name: 'joinNs missing nsFile',
    run: () => validateRestoreOptions({ joinNs: [{ ns: 'ipc' }] }),
    error: TypeError,
    message: /'joinNs\[0\].nsFile' is required/,
  },
  {
    name: 'joinNs with an unknown key',
    run: () => validateRestoreOptions({ joinNs: [{ ns: 'ipc', nsFile: '/x', nsfile: 1 }] }),
    error: TypeError,
    message: /Unknown option 'joinNs\[0\].nsfile'/,
  },
  {
    name: 'options not an object',
    run: () => validateRestoreOptions('fast'),
    error: TypeError,
    message: /restore options must be an object/,
  },
  { name: 'pid not an integer', run: () => validatePid('12'), error: TypeError, message: /pid must be an integer/ },
  { name: 'pid out of range', run: () => validatePid(0), error: RangeError, message: /pid must be between 1/ },
];

for (const c of cases) {
  test(`validation: ${c.name}`, () => {
    assert.throws(c.run, (e: unknown) => e instanceof c.error && c.message.test((e as Error).message));
  });
}

test('valid options pass through unchanged', () => {
  const opts = { leaveRunning: true, external: ['unix[1]'], timeout: 1000, hooks: { postDump: () => {} } };
  assert.equal(validateCheckpointOptions(opts), opts);
  assert.deepEqual(validateRestoreOptions(undefined), {});
});

test('checkpoint and restore reject bad arguments before touching CRIU', async () => {
  await assert.rejects(checkpoint(1.5), TypeError);
  await assert.rejects(checkpoint(1, { imagesdir: '/tmp/x' } as never), /Did you mean 'imagesDir'/);
  await assert.rejects(restore(''), TypeError);
});
