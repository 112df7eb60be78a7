// What the source host needs before a lazy dump can serve pages, checked before anything is frozen.
import { readFile } from 'node:fs/promises';
import { CriuError } from '../errors.js';

/**
 * CRIU's page server grows a pipe to PIPE_MAX_SIZE pages (8 pages of `struct pipe_buffer`: 819
 * pages, 3,354,624 bytes) to serve lazy pages, and ignores a failure: without CAP_SYS_RESOURCE
 * and above fs.pipe-max-size (1 MiB by default) it then fails the first page request (measured:
 * `page-pipe: splice: -1: Bad file descriptor`) and the migration is rolled back.
 */
const PAGE_SERVER_PIPE_BYTES = 819 * 4096;
const CAP_SYS_RESOURCE = 24n;

async function hasSysResource(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8');
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return effective !== undefined && ((BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** Refuses (MIGRATION_REFUSED) a source where CRIU's page server would fail at the first page. */
export async function assertCanServePages(pid: number): Promise<void> {
  const max = Number((await readFile('/proc/sys/fs/pipe-max-size', 'utf8')).trim());
  if (max >= PAGE_SERVER_PIPE_BYTES || (await hasSysResource())) return;
  throw new CriuError(
    'MIGRATION_REFUSED',
    `Cannot migrate pid ${pid} from here: CRIU's page server needs pipes of ${PAGE_SERVER_PIPE_BYTES} bytes, but fs.pipe-max-size is ${max} and this process lacks CAP_SYS_RESOURCE. Run \`sysctl -w fs.pipe-max-size=4194304\` (as root) or give the process CAP_SYS_RESOURCE. Nothing was frozen.`,
    { operation: 'migrate', pid },
  );
}
