// privilegeProblems(): what check() should list as missing, from capability masks and a real non-root run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { CAPS, type CapName, parseStatus, privilegeProblems } from '../../src/criu/privileges.js';
import { readableInstall } from '../helpers/readable-install.js';

const mask = (...caps: CapName[]) => caps.reduce((m, c) => m | (1n << BigInt(CAPS[c])), 0n);
const ALL = (1n << 41n) - 1n;

test('parseStatus reads the CapEff, CapAmb and CapBnd masks', () => {
  const facts = parseStatus(
    'Name:\tx\nCapInh:\t0\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000080000\n',
    1000,
  );
  assert.equal(facts.capEff, ALL);
  assert.equal(facts.capBnd, ALL);
  assert.equal(facts.capAmb, mask('CAP_SYS_PTRACE'));
  assert.deepEqual(parseStatus('', 5), { euid: 5, capEff: 0n, capAmb: 0n, capBnd: 0n });
});

const cases: { name: string; euid: number; amb?: bigint; bnd?: bigint; expect: RegExp[] }[] = [
  { name: 'root with every capability', euid: 0, bnd: ALL, expect: [] },
  {
    name: 'root with CAP_CHECKPOINT_RESTORE instead of CAP_SYS_ADMIN',
    euid: 0,
    bnd: mask('CAP_CHECKPOINT_RESTORE', 'CAP_SYS_PTRACE'),
    expect: [],
  },
  {
    name: 'root in a container without either',
    euid: 0,
    bnd: mask('CAP_SYS_PTRACE'),
    expect: [/without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE/],
  },
  { name: 'root without CAP_SYS_PTRACE', euid: 0, bnd: mask('CAP_SYS_ADMIN'), expect: [/without CAP_SYS_PTRACE/] },
  {
    name: 'a user with nothing',
    euid: 1000,
    expect: [/Not running as root/, /lack CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE/],
  },
  {
    name: 'a user with ambient CAP_CHECKPOINT_RESTORE only',
    euid: 1000,
    amb: mask('CAP_CHECKPOINT_RESTORE'),
    expect: [/Not running as root/, /lack CAP_SYS_PTRACE\b/],
  },
  {
    name: 'a user with both as ambient capabilities',
    euid: 1000,
    amb: mask('CAP_CHECKPOINT_RESTORE', 'CAP_SYS_PTRACE'),
    expect: [/unprivileged mode/],
  },
];

for (const c of cases) {
  test(`privilegeProblems: ${c.name}`, () => {
    const problems = privilegeProblems({
      euid: c.euid,
      capEff: c.euid === 0 ? (c.bnd ?? 0n) : 0n,
      capAmb: c.amb ?? 0n,
      capBnd: c.bnd ?? 0n,
    });
    assert.equal(problems.length, c.expect.length, JSON.stringify(problems));
    c.expect.forEach((re, i) => {
      assert.equal(problems[i]?.code, 'NOT_PERMITTED');
      assert.match(problems[i]?.message ?? '', re);
      assert.ok((problems[i]?.fix.length ?? 0) > 0);
    });
  });
}

test('run as nobody, the real process is told it is not root and lacks the capabilities', {
  skip: process.geteuid?.() !== 0 ? 'needs root to switch to nobody' : false,
}, (t) => {
  const install = readableInstall();
  t.after(() => install.remove());
  const module = join(install.root, 'dist/src/criu/privileges.js');
  const script = `import(${JSON.stringify(module)}).then((m) => console.log(JSON.stringify(m.privilegeProblems())))`;
  const r = spawnSync('runuser', ['-u', 'nobody', '--', install.node, '-e', script], {
    encoding: 'utf8',
    cwd: install.root,
  });
  assert.equal(r.status, 0, r.stderr);
  const problems = JSON.parse(r.stdout) as { message: string }[];
  assert.match(problems[0]?.message ?? '', /Not running as root \(euid 65534\)/);
  assert.match(problems[1]?.message ?? '', /CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE/);
  // And root, here, lacks nothing.
  assert.deepEqual(privilegeProblems(), []);
});
