// The README's API section checked against the package's exports (issue 15): every runtime export
// is named there, every member of what check(), checkpoint() and restore() take and return is
// mentioned in its section, and every public export and member has TSDoc. Adding an export or a
// member without documenting it fails here; the typed member lists fail to compile instead.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type {
  Checkpoint,
  CheckpointOptions,
  CheckResult,
  RestoredProcess,
  RestoredProcessEvents,
  RestoreOptions,
} from '../../src/index.js';
import * as api from '../../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/**
 * Runtime exports the README's API section may leave out because a document of their own covers
 * them: export name -> that document (which must name it). Empty today: every runtime export is
 * named in the API section. A low-level export documented elsewhere (generated protobuf schemas,
 * were they ever exported, in docs/) goes here with the document that describes it.
 */
const documentedElsewhere: Readonly<Record<string, string>> = {};

/** The text from the heading line `heading` (exact) to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const start = lines.indexOf(heading);
  assert.notEqual(start, -1, `README.md has no heading '${heading}'`);
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('```')) fenced = !fenced;
    const hashes = /^(#+) /.exec(line)?.[1]?.length;
    if (!fenced && hashes !== undefined && hashes <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join('\n');
}

/** Every identifier written as code (inline spans and fenced blocks): prose words do not count. */
function codeNames(markdown: string): Set<string> {
  const code: string[] = [];
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, (block) => {
    code.push(block);
    return '';
  });
  for (const match of prose.matchAll(/(`+)([\s\S]*?[^`])\1(?!`)/g)) code.push(match[2] ?? '');
  return new Set(code.join('\n').match(/[A-Za-z_$][\w$]*/g) ?? []);
}

/** The names of `names` that `text` does not write as code. */
function missingFrom(text: string, names: Iterable<string>): string[] {
  const written = codeNames(text);
  return [...names].filter((name) => !written.has(name));
}

/**
 * Member names of a typed list; a symbol by the last part of its description (`Symbol.asyncDispose`,
 * or `nodejs.asyncDispose` where Node 20 defines it, -> `asyncDispose`).
 */
function memberNames(list: object): string[] {
  return Reflect.ownKeys(list).map((key) =>
    typeof key === 'symbol' ? (key.description ?? '').replace(/^.*\./, '') : key,
  );
}

// Each list must name every member: a member added to the interface without being listed here
// (and so without the README being checked for it) is a compile error, as is a stale one.
const restoredProcessMembers = {
  pid: true,
  pids: true,
  exited: true,
  stdin: true,
  stdout: true,
  stderr: true,
  stdio: true,
  exitCode: true,
  signalCode: true,
  killed: true,
  connected: true,
  defaultedFds: true,
  pagesLoaded: true,
  kill: true,
  send: true,
  disconnect: true,
  unref: true,
  ref: true,
} satisfies Record<Exclude<keyof RestoredProcess, keyof EventEmitter>, true>;

const restoredProcessEvents = {
  exit: true,
  close: true,
  error: true,
  message: true,
  disconnect: true,
} satisfies Record<keyof RestoredProcessEvents, true>;

const checkpointMembers = {
  imagesDir: true,
  pid: true,
  pids: true,
  tree: true,
  fds: true,
  mappings: true,
  needs: true,
  leftRunning: true,
  stats: true,
  logPath: true,
  sysv: true,
  parent: true,
  remove: true,
  [Symbol.asyncDispose]: true,
} satisfies Record<keyof Checkpoint, true>;

const checkResultMembers = {
  backend: true,
  usable: true,
  version: true,
  criuPath: true,
  features: true,
  problems: true,
  unavailable: true,
  selection: true,
} satisfies Record<keyof CheckResult, true>;

const checkpointOptions = {
  imagesDir: true,
  parent: true,
  leaveRunning: true,
  shellJob: true,
  tcpEstablished: true,
  fileLocks: true,
  external: true,
  digest: true,
  leaveOut: true,
  leaveOutMappings: true,
  extUnixSk: true,
  ghostLimit: true,
  sysv: true,
  hooks: true,
  signal: true,
  timeout: true,
  logLevel: true,
  criuPath: true,
  backend: true,
} satisfies Record<keyof CheckpointOptions, true>;

const restoreOptions = {
  fds: true,
  outsideFds: true,
  allowSizeChange: true,
  replayPipeData: true,
  mappings: true,
  shellJob: true,
  tcpEstablished: true,
  fileLocks: true,
  extUnixSk: true,
  skipFileRwxCheck: true,
  inheritFds: true,
  external: true,
  joinNs: true,
  pidWaitTimeout: true,
  verify: true,
  allowUntrustedImages: true,
  workDir: true,
  lazyPages: true,
  sysv: true,
  hooks: true,
  signal: true,
  timeout: true,
  logLevel: true,
  criuPath: true,
  backend: true,
} satisfies Record<keyof RestoreOptions, true>;

const apiSection = section(readme, '## API');
const checkSection = section(readme, '### `check(options?) -> CheckResult`');
const checkpointSection = section(readme, '### `checkpoint(pid, options?) -> Checkpoint`');
const restoreSection = section(readme, '### `restore(imagesDir, options?) -> RestoredProcess`');
const simSection = section(readme, '## Without CRIU: the simulator');

test('the checks catch what is missing (so a pass means something)', () => {
  const doc = '# x\n## API\nUse `alpha(x)` and\n```js\nbeta.gamma();\n```\nnot delta.\n## Next\n`epsilon`\n';
  const part = section(doc, '## API');
  assert.deepEqual(missingFrom(part, ['alpha', 'beta', 'gamma', 'delta', 'epsilon']), ['delta', 'epsilon']);
  assert.deepEqual(missingFrom('`a ``b`` c`', ['a', 'b', 'c']), []);
});

test("every runtime export is named in the README's API section", () => {
  const exports = Object.keys(api).sort();
  const missing = missingFrom(
    apiSection,
    exports.filter((name) => !(name in documentedElsewhere)),
  );
  assert.deepEqual(missing, [], `exported but not named in README.md's "## API" section: ${missing.join(', ')}`);
  for (const [name, doc] of Object.entries(documentedElsewhere)) {
    assert.ok(exports.includes(name), `documentedElsewhere lists ${name}, which is no longer exported`);
    assert.ok(existsSync(join(root, doc)), `documentedElsewhere: ${doc} (for ${name}) does not exist`);
    assert.deepEqual(missingFrom(readFileSync(join(root, doc), 'utf8'), [name]), [], `${doc} does not name ${name}`);
  }
});

test("every member of `sim` is named in the README's simulator section", () => {
  const written = new Set([...simSection.matchAll(/\bsim\.(\w+)/g)].map((m) => m[1]));
  const missing = Object.keys(api.sim).filter((name) => !written.has(name));
  assert.deepEqual(missing, [], `sim.${missing.join(', sim.')} not named in "## Without CRIU: the simulator"`);
});

test("restore()'s handle: every member and event is in restore()'s section", () => {
  assert.deepEqual(missingFrom(restoreSection, memberNames(restoredProcessMembers)), []);
  assert.deepEqual(missingFrom(restoreSection, memberNames(restoredProcessEvents)), []);
});

test("checkpoint()'s result: every member is in checkpoint()'s section", () => {
  assert.deepEqual(missingFrom(checkpointSection, memberNames(checkpointMembers)), []);
});

test("check()'s result: every member is in check()'s section", () => {
  assert.deepEqual(missingFrom(checkSection, memberNames(checkResultMembers)), []);
});

test('every option of checkpoint() and restore() is in its section', () => {
  assert.deepEqual(missingFrom(checkpointSection, memberNames(checkpointOptions)), []);
  assert.deepEqual(missingFrom(restoreSection, memberNames(restoreOptions)), []);
});

/**
 * Public exports (and their members) without a TSDoc comment, read from the compiled .d.ts files:
 * every export of the package's entry, the `sim` namespace's, and the members of each interface,
 * class (not private) and object type alias among them.
 */
function undocumented(entry: string): string[] {
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const module = source && checker.getSymbolAtLocation(source);
  assert.ok(module, `cannot read ${entry}`);
  const hasDoc = (node: ts.Node): boolean =>
    ts.getJSDocCommentsAndTags(node).length > 0 ||
    (ts.isVariableDeclaration(node) && ts.getJSDocCommentsAndTags(node.parent.parent).length > 0);
  const out: string[] = [];
  const seen = new Set<ts.Declaration>();
  const visit = (prefix: string, moduleSymbol: ts.Symbol): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.name;
      const declarations = symbol.declarations ?? [];
      if (declarations.some(ts.isSourceFile)) {
        visit(`${name}.`, symbol);
        continue;
      }
      if (declarations.length === 0 || declarations.every((d) => seen.has(d))) continue;
      for (const d of declarations) seen.add(d);
      if (!declarations.some(hasDoc)) out.push(name);
      for (const declaration of declarations) {
        let members: readonly ts.Node[] = [];
        if (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration)) members = declaration.members;
        else if (ts.isTypeAliasDeclaration(declaration) && ts.isTypeLiteralNode(declaration.type))
          members = declaration.type.members;
        const memberName = (m: ts.Node): string | undefined => {
          const n = (m as { name?: ts.PropertyName }).name;
          if (n) return n.getText();
          return ts.isConstructorDeclaration(m) ? 'constructor' : undefined;
        };
        for (const member of members) {
          const mName = memberName(member);
          if (mName === undefined || mName.startsWith('#')) continue;
          if (ts.getCombinedModifierFlags(member as ts.Declaration) & ts.ModifierFlags.Private) continue;
          // An overload or accessor pair is documented once.
          if (!members.some((other) => memberName(other) === mName && hasDoc(other))) out.push(`${name}.${mName}`);
        }
      }
    }
  };
  visit('', module);
  return out;
}

test('every public export and member has TSDoc', () => {
  const entry = join(root, 'dist/src/index.d.ts');
  const missing = undocumented(entry);
  assert.deepEqual(missing, [], `without a TSDoc comment: ${missing.join(', ')}`);
});
