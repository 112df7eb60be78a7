// Human-readable output of `node-criu show`: the process tree, each task's memory map, the fd
// table, SysV IPC objects, namespaces and CRIU's statistics (--json prints the view as it is).
import { formatFdTable } from '../fds/fd-table.js';
import type { JsonInteger } from '../inspect/json-safe.js';
import { PAGE_SIZE } from '../inspect/memory.js';
import type { SysvView } from '../inspect/sysv-types.js';
import type { CheckpointView, ManifestFacts, TaskView, VmaView } from '../inspect/types.js';
import { humanBytes } from './bytes.js';

/** Rows as columns padded to their widest cell, each line prefixed with `indent`. */
export function columns(rows: readonly string[][], indent = ''): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => (indent + r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).trimEnd()).join('\n');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** A count of CRIU's pages as bytes (`1.5 MiB`). */
const pages = (n: JsonInteger) => humanBytes(Number(n) * PAGE_SIZE);
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const octal = (n: number) => `0${(n & 0o777).toString(8).padStart(3, '0')}`;

/**
 * What the task was at the dump and what became of it: a zombie stays one; a live task was left
 * running or killed after the dump (the manifest says which; plain CRIU images do not).
 */
function stateText(task: TaskView, manifest: ManifestFacts | null): string {
  if (task.state === 'zombie') {
    if (!task.exit) return 'zombie';
    return task.exit.signal !== null
      ? `zombie, killed by signal ${task.exit.signal}`
      : `zombie, exited ${task.exit.code}`;
  }
  if (!manifest || task.state === 'unknown') return task.state;
  return `${task.state}, ${manifest.leftRunning ? 'left running' : 'killed after the dump'}`;
}

function taskLine(task: TaskView, manifest: ManifestFacts | null): string {
  const threads = `${plural(task.threadCount, 'thread')}: ${task.tids.join(' ')}`;
  return `${task.pid} ${task.command ?? '?'} [${stateText(task, manifest)}] pgid ${task.pgid} sid ${task.sid}, ${threads}`;
}

/** The tree, children under their parent (pstree order), with box-drawing branches. */
function treeLines(view: CheckpointView): string[] {
  const byPid = new Map(view.tasks.map((t) => [t.pid, t]));
  const lines: string[] = [];
  const walk = (task: TaskView, prefix: string, branch: string, seen: Set<number>) => {
    lines.push(`  ${prefix}${branch}${taskLine(task, view.manifest)}`);
    seen.add(task.pid);
    const children = task.children.map((pid) => byPid.get(pid)).filter((t): t is TaskView => !!t && !seen.has(t.pid));
    const nextPrefix = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    children.forEach((child, i) => {
      walk(child, nextPrefix, i === children.length - 1 ? '└─ ' : '├─ ', seen);
    });
  };
  const seen = new Set<number>();
  for (const task of view.tasks) {
    if (!seen.has(task.pid) && !byPid.has(task.ppid)) walk(task, '', '', seen);
  }
  // Anything not reached from a root (a malformed tree) is still listed.
  for (const task of view.tasks) if (!seen.has(task.pid)) walk(task, '', '', seen);
  return lines;
}

function vmaObject(vma: VmaView): string {
  if (vma.path !== null) return vma.path;
  if (vma.kind === 'sysv') return `SysV shm ${vma.shmid}`;
  if (vma.shmid !== null) return `shmem ${vma.shmid}`;
  return '';
}

function memoryLines(task: TaskView): string[] {
  const memory = task.memory;
  if (!memory) return [`Memory of ${task.pid}: not dumped (${task.state})`];
  const t = memory.totals;
  const lines = [
    `Memory of ${task.pid} (${task.command ?? '?'}${memory.exe ? `, exe ${memory.exe}` : ''}): ${plural(t.vmaCount, 'VMA')}, ` +
      `${humanBytes(t.mappedBytes)} mapped, ${humanBytes(t.presentBytes)} dumped` +
      `${memory.pagesImage ? ` in ${memory.pagesImage}` : ''}`,
  ];
  const rows = [['START', 'END', 'SIZE', 'PROT', 'KIND', 'DUMPED', 'SHARED', 'OBJECT']];
  for (const vma of memory.vmas) {
    rows.push([
      vma.start,
      vma.end,
      humanBytes(vma.size),
      vma.prot,
      vma.kind,
      humanBytes(vma.presentBytes),
      vma.sharedPages === null ? '-' : pages(vma.sharedPages),
      vmaObject(vma),
    ]);
  }
  lines.push(columns(rows, '  '));
  return lines;
}

function sysvLines(sysv: SysvView): string[] {
  const lines = [`SysV IPC of IPC namespace ${sysv.nsId}:`];
  const rows: string[][] = [];
  for (const shm of sysv.shm) {
    const attached = shm.attachedBy.length > 0 ? `attached by ${shm.attachedBy.join(' ')}` : 'not attached';
    const dumped = shm.presentPages === null ? '' : `, ${pages(shm.presentPages)} dumped`;
    rows.push([
      'shm',
      `id ${shm.id}`,
      `key ${hex8(shm.key)}`,
      `mode ${octal(shm.mode)}`,
      `size ${humanBytes(shm.size)}${dumped}`,
      attached,
    ]);
  }
  for (const sem of sysv.sem) {
    rows.push([
      'sem',
      `id ${sem.id}`,
      `key ${hex8(sem.key)}`,
      `mode ${octal(sem.mode)}`,
      plural(sem.nsems, 'semaphore'),
      `values ${sem.values.join(' ')}`,
    ]);
  }
  for (const msg of sysv.msg) {
    rows.push([
      'msg',
      `id ${msg.id}`,
      `key ${hex8(msg.key)}`,
      `mode ${octal(msg.mode)}`,
      `${plural(msg.messageCount, 'message')} (${humanBytes(msg.messageBytes)})`,
      `qbytes ${msg.qbytes}`,
    ]);
  }
  if (rows.length === 0) lines.push('  no objects');
  else lines.push(columns(rows, '  '));
  return lines;
}

function namespaceLines(view: CheckpointView): string[] {
  const ns = view.namespaces;
  const lines = ['Namespaces (CRIU ids, not inode numbers):'];
  const own = ns.list.filter((n) => n.own);
  for (const n of own) {
    lines.push(
      `  ${n.kind} ${n.id}: the tree's own, tasks ${n.pids.join(' ')}${n.images.length > 0 ? `, images ${n.images.join(' ')}` : ''}`,
    );
  }
  const shared = ns.list.filter((n) => !n.own).map((n) => n.kind);
  if (shared.length > 0)
    lines.push(`  ${ns.criu ? "same as CRIU's" : "not told apart from CRIU's"}: ${[...new Set(shared)].join(' ')}`);
  if (ns.images.length > 0) lines.push(`  namespace images: ${ns.images.join(' ')}`);
  return lines;
}

function statsLines(view: CheckpointView): string[] {
  const lines: string[] = [];
  const d = view.stats.dump;
  if (d) {
    const shared =
      d.shpagesScanned !== null
        ? `; shared memory scanned ${pages(d.shpagesScanned)}, written ${pages(d.shpagesWritten ?? 0)}`
        : '';
    lines.push(
      `Dump statistics: frozen ${ms(d.frozenTimeUs)} (freezing ${ms(d.freezingTimeUs)}, memdump ${ms(d.memdumpTimeUs)}, ` +
        `memwrite ${ms(d.memwriteTimeUs)}); memory scanned ${pages(d.pagesScanned)}, written ${pages(d.pagesWritten)}, ` +
        `in parent ${pages(d.pagesSkippedParent)}, lazy ${pages(d.pagesLazy)}${shared}`,
    );
  } else {
    lines.push('Dump statistics: none (no stats-dump)');
  }
  const r = view.stats.restore;
  if (r) {
    lines.push(
      `Restore statistics: forking ${ms(r.forkingTimeUs)}, restore ${ms(r.restoreTimeUs)}, memory restored ${r.pagesRestored === null ? '?' : pages(r.pagesRestored)}`,
    );
  }
  return lines;
}

/** Host-mode SysV attachments from the manifest: left out of the images, attached at restore. */
function hostSysvLines(view: CheckpointView): string[] {
  const list = view.manifest?.sysvAttachments ?? [];
  if (list.length === 0) return [];
  return [
    'Host SysV attachments (contents not in the images; attached to a live segment at restore):',
    ...list.map(
      (a) => `  pid ${a.pid} ${a.start}-${a.end} ${a.access} shmid ${a.shmid} key ${a.key} (${humanBytes(a.size)})`,
    ),
  ];
}

/** The whole human-readable description of a checkpoint. */
export function formatShow(view: CheckpointView): string {
  const m = view.manifest;
  const made = m
    ? `made by node-criu${m.criuVersion ? ` with CRIU ${m.criuVersion}` : ''} at ${m.createdAt}, ${m.leftRunning ? 'left running' : 'killed after the dump'}`
    : 'no node-criu manifest';
  const sections: string[][] = [
    [
      `Checkpoint ${view.imagesDir}: ${plural(view.tasks.length, 'task')}, image version ${view.inventory?.imgVersion ?? '?'}, ${made}`,
    ],
    ['Process tree:', ...treeLines(view)],
    ...view.tasks.map(memoryLines),
    [
      'File descriptors:',
      ...(view.fds.length > 0
        ? formatFdTable(view.fds)
            .split('\n')
            .map((line) => `  ${line}`)
        : ['  none']),
    ],
    ...(view.sysv.length > 0 ? view.sysv.map(sysvLines) : [['SysV IPC: none dumped']]),
    hostSysvLines(view),
    namespaceLines(view),
    statsLines(view),
  ];
  return sections.map((lines) => lines.filter((l) => l !== '').join('\n')).join('\n\n');
}

/** Prints formatShow(view). */
export function printShow(view: CheckpointView): void {
  console.log(formatShow(view));
}
