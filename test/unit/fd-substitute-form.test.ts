// Typed fd substitutes: a misspelt keyword is a TypeError naming the keyword meant (never a file
// of that name), in the options, in the fd substitution itself and in the CLI's --fd flag.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { parseFdFlag } from '../../src/cli/fd-flag.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { closest, didYouMean } from '../../src/did-you-mean.js';
import { flatten } from '../../src/fds/substitute.js';
import { sameSubstitute, substitutePath } from '../../src/fds/substitute-form.js';
import type { FdSubstitute, FdSubstitutions } from '../../src/index.js';
import { validateRestoreOptions } from '../../src/options.js';

const refused: { name: string; fds: unknown; error: typeof TypeError | typeof RangeError; message: RegExp }[] = [
  {
    name: "'pipee'",
    fds: { 1: 'pipee' },
    error: TypeError,
    message:
      /^Option 'fds\[1\]' is 'pipee', which is not an fd substitute\. Did you mean 'pipe'\?.*\{ path: "pipee" \}/,
  },
  { name: "'nul'", fds: { 2: 'nul' }, error: TypeError, message: /Did you mean 'null'\?/ },
  { name: "'inhert'", fds: { 0: 'inhert' }, error: TypeError, message: /Did you mean 'inherit'\?/ },
  { name: "'PIPE' (case)", fds: { 1: 'PIPE' }, error: TypeError, message: /Did you mean 'pipe'\?/ },
  {
    name: 'a relative path as a string',
    fds: { 1: 'out.log' },
    error: TypeError,
    message:
      /^Option 'fds\[1\]' is 'out.log', which is not an fd substitute\. A string substitute is 'pipe', 'inherit', 'null' or an absolute path; a path relative to the current directory is given as \{ path: "out.log" \}\.$/,
  },
  { name: "'./out.log' as a string", fds: { 1: './out.log' }, error: TypeError, message: /\{ path: "\.\/out\.log" \}/ },
  { name: 'an empty string', fds: { 1: '' }, error: TypeError, message: /is '', which is not an fd substitute/ },
  {
    name: "a task's misspelt keyword",
    fds: { 1234: { 5: 'pipee' } },
    error: TypeError,
    message: /'fds\[1234\]\[5\]'.*'pipe'/,
  },
  { name: 'a misspelt { path }', fds: { 1: { pth: 'x' } }, error: TypeError, message: /Did you mean \{ path \}\?/ },
  {
    name: '{ path } empty',
    fds: { 1: { path: '' } },
    error: TypeError,
    message: /'fds\[1\]\.path' must be a non-empty string/,
  },
  {
    name: '{ path } with more',
    fds: { 1: { path: 'x', mode: 1 } },
    error: TypeError,
    message: /Unknown option 'fds\[1\]\.mode'/,
  },
  { name: 'a negative fd', fds: { 1: -1 }, error: RangeError, message: /'fds\[1\]' must be an fd number/ },
  {
    name: 'a boolean',
    fds: { 1: true },
    error: TypeError,
    message: /'fds\[1\]' must be 'pipe', 'inherit', 'null', an fd number.*got boolean/,
  },
  {
    name: 'a key that is no number',
    fds: { one: 'pipe' },
    error: TypeError,
    message: /'fds' key 'one' must be an fd number or a pid/,
  },
  { name: 'not an object', fds: 'pipe', error: TypeError, message: /'fds' must be an object/ },
];

for (const c of refused) {
  test(`fds refused: ${c.name}`, () => {
    const check = (e: unknown) => e instanceof c.error && c.message.test((e as Error).message);
    assert.throws(() => validateRestoreOptions({ fds: c.fds }), check);
    // The same check where the backends read the table (a backend may be called directly).
    if (typeof c.fds === 'object') assert.throws(() => flatten(1, c.fds as FdSubstitutions, new Set([1, 1234])), check);
  });
}

test('fds accepted: keywords, absolute paths, { path }, fd numbers, streams, a task table', () => {
  const fds = {
    0: 'pipe',
    1: '/var/log/app.log',
    2: { path: 'relative.log' },
    3: 7,
    4: new PassThrough(),
    5: 'inherit',
    6: 'null',
    1234: { 1: 'null', 2: { path: '/tmp/x' } },
  } as const;
  assert.equal(validateRestoreOptions({ fds }).fds, fds);
  assert.equal(flatten(1, fds, new Set([1, 1234])).length, 9);
});

test('the TypeScript type refuses a misspelt keyword and a relative path string', () => {
  // @ts-expect-error 'pipee' is neither a keyword nor an absolute path
  const typo: FdSubstitute = 'pipee';
  // @ts-expect-error a relative path is given as { path }
  const relative: FdSubstitute = 'out.log';
  const fine: FdSubstitute[] = ['pipe', '/dev/null', { path: 'out.log' }, 3];
  assert.ok(typo && relative && fine.length === 4);
});

test('{ path } is resolved against the current directory; substitutes of one file agree', () => {
  assert.equal(substitutePath({ path: 'out.log' }), resolve(process.cwd(), 'out.log'));
  assert.equal(substitutePath('/abs/out.log'), '/abs/out.log');
  assert.equal(substitutePath('null'), '/dev/null');
  assert.equal(substitutePath('pipe'), undefined);
  assert.ok(sameSubstitute({ path: 'a.log' }, { path: './a.log' }));
  assert.ok(sameSubstitute({ path: 'a.log' }, resolve('a.log') as FdSubstitute));
  assert.ok(!sameSubstitute({ path: 'a.log' }, { path: 'b.log' }));
  assert.ok(!sameSubstitute('pipe', 'inherit'));
});

test('did you mean: the nearest name within the distance, case-insensitively', () => {
  assert.equal(closest('leaveRuning', ['leaveRunning', 'shellJob']), 'leaveRunning');
  assert.equal(closest('zzzzzz', ['pipe', 'null']), undefined);
  assert.equal(closest('file', ['pipe', 'inherit', 'null'], 1), undefined);
  assert.equal(didYouMean('Nul', ['null']), " Did you mean 'null'?");
  assert.equal(didYouMean('xyzzy', ['null'], 2), '');
});

test('CLI --fd: keywords, fd numbers, absolute and ./relative paths; a typo is a usage error', () => {
  assert.deepEqual(parseFdFlag('1=pipe'), { pid: undefined, fd: 1, substitute: 'pipe' });
  assert.deepEqual(parseFdFlag('1234:2=null'), { pid: 1234, fd: 2, substitute: 'null' });
  assert.deepEqual(parseFdFlag('1=5'), { pid: undefined, fd: 1, substitute: 5 });
  assert.deepEqual(parseFdFlag('1=/var/log/x'), { pid: undefined, fd: 1, substitute: '/var/log/x' });
  assert.deepEqual(parseFdFlag('1=./out.log'), { pid: undefined, fd: 1, substitute: { path: './out.log' } });
  assert.deepEqual(parseFdFlag('1=../out.log'), { pid: undefined, fd: 1, substitute: { path: '../out.log' } });
  assert.throws(
    () => parseFdFlag('1=pipee'),
    (e: unknown) =>
      e instanceof UsageError &&
      /^--fd 1=pipee: 'pipee' is not .*\. Did you mean 'pipe'\? A file in the current directory is written \.\/pipee\.$/.test(
        e.message,
      ),
  );
  assert.throws(
    () => parseFdFlag('2=out.log'),
    (e: unknown) => e instanceof UsageError && !/Did you mean/.test(e.message) && /\.\/out\.log/.test(e.message),
  );
  assert.throws(() => parseFdFlag('x=pipe'), UsageError);
});
