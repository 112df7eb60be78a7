// The namespaces of a checkpoint: each task's namespace ids (ids-PID.img), the ids of the
// namespaces CRIU ran in (inventory root_ids), and the namespace images the dump holds.
import { resolveImageName } from '../images/codec.js';
import type { NamespaceIds, NamespaceKind, NamespacesView, NamespaceView } from './types.js';

/** The namespace each per-namespace image kind describes. */
const IMAGE_NAMESPACE: Readonly<Record<string, NamespaceKind>> = {
  pidns: 'pid',
  netns: 'net',
  netdev: 'net',
  ifaddr: 'net',
  route: 'net',
  route6: 'net',
  rule: 'net',
  iptables: 'net',
  ip6tables: 'net',
  nftables: 'net',
  'netns-ct': 'net',
  'netns-exp': 'net',
  'ipcns-var': 'ipc',
  'ipcns-shm': 'ipc',
  'ipcns-msg': 'ipc',
  'ipcns-sem': 'ipc',
  utsns: 'uts',
  mountpoints: 'mnt',
  userns: 'user',
  timens: 'time',
};

export const NAMESPACE_KINDS: readonly NamespaceKind[] = ['pid', 'net', 'ipc', 'uts', 'mnt', 'user', 'cgroup', 'time'];

/** The namespace (kind and id) an image file describes, if it is a namespace image. */
export function namespaceOfImage(name: string): { kind: NamespaceKind; id: number | undefined } | undefined {
  const named = resolveImageName(name);
  const kind = named ? IMAGE_NAMESPACE[named.type.name] : undefined;
  if (!named || !kind) return undefined;
  return { kind, id: named.id === undefined ? undefined : Number(named.id) };
}

/**
 * The namespaces view: every (kind, id) some task is in, whether it is the tree's own (differs
 * from CRIU's), and which images describe it.
 */
export function namespacesView(
  criu: NamespaceIds | null,
  tasks: readonly { pid: number; namespaces: NamespaceIds | null }[],
  files: readonly string[],
): NamespacesView {
  const images = files.filter((name) => namespaceOfImage(name) !== undefined).sort();
  const list: NamespaceView[] = [];
  for (const kind of NAMESPACE_KINDS) {
    const byId = new Map<number, number[]>();
    for (const task of tasks) {
      const id = task.namespaces?.[kind];
      if (id === null || id === undefined) continue;
      byId.set(id, [...(byId.get(id) ?? []), task.pid]);
    }
    for (const [id, pids] of [...byId].sort((a, b) => a[0] - b[0])) {
      const criuId = criu?.[kind] ?? null;
      list.push({
        kind,
        id,
        own: criuId !== null && criuId !== id,
        pids,
        images: images.filter((name) => {
          const ns = namespaceOfImage(name);
          return ns?.kind === kind && ns.id === id;
        }),
      });
    }
  }
  return { criu, list, images };
}
