// The fd table recorded in a checkpoint's manifest (or read from the images when there is no
// manifest), and its human-readable rendering.
import { readManifest } from '../integrity/manifest.js';
import type { FdEntry } from './fd-entry.js';
import { fdTableFromImages } from './images-fd-table.js';

/**
 * The fd table of the checkpoint in `imagesDir`, as recorded while CRIU had the tree frozen. Images
 * without a node-criu manifest (plain `criu dump`) get the table derived from the images
 * (fdTableFromImages: some fields are not recorded there); INVALID_IMAGES if the dir is no checkpoint.
 */
export async function readFdTable(imagesDir: string): Promise<FdEntry[]> {
  const manifest = await readManifest(imagesDir);
  if (!manifest) return fdTableFromImages(imagesDir);
  return manifest.fds;
}

/** One line per fd: pid, fd, type, access and flags, what it is, and how CRIU names it. */
export function formatFdTable(table: readonly FdEntry[]): string {
  const rows = [['PID', 'FD', 'TYPE', 'MODE', 'FLAGS', 'POS', 'OBJECT', 'PEER', 'KEY', 'SAVED']];
  for (const e of table) {
    const flags = [e.append && 'append', e.nonblock && 'nonblock', e.cloexec && 'cloexec'].filter(Boolean).join(',');
    const peer = e.peer ? `${e.peer.inode ?? '?'}${e.peer.inTree ? ' (tree)' : ' (outside)'}` : '';
    rows.push([
      String(e.pid),
      String(e.fd),
      e.type,
      e.access,
      flags || '-',
      String(e.position),
      e.path ?? e.target,
      peer || '-',
      e.key,
      e.leftOut ? 'left out' : 'dumped',
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
