// What a lazy restore cannot make lazy, read from the images before CRIU runs: CRIU marks the
// pages it can serve on demand (PE_LAZY, private anonymous memory); shared memory, SysV
// segments, huge pages, file mappings and the page at each stack pointer are restored eagerly.
import { readFileIndex } from '../inspect/file-index.js';
import { ImageSet } from '../inspect/image-set.js';
import { readMemory, SharedPages } from '../inspect/memory.js';
import { readTasks } from '../inspect/tasks.js';
import type { EagerMemory } from '../types.js';

/** mmap's MAP_HUGETLB, in a VMA's recorded flags. */
const MAP_HUGETLB = 0x40000;

/** Pages restored before the tree runs, by kind of area, largest first (kinds with none left out). */
export async function eagerMemory(imagesDir: string): Promise<EagerMemory[]> {
  const images = await ImageSet.open(imagesDir);
  const [tasks, files] = await Promise.all([readTasks(images), readFileIndex(images)]);
  const shared = new SharedPages(images);
  const pages = new Map<string, number>();
  // A shared object mapped by several tasks is restored once: counted once.
  const objects = new Set<number>();
  for (const task of tasks) {
    const memory = await readMemory(images, task.pid, files, shared);
    for (const vma of memory?.vmas ?? []) {
      let eager = vma.presentPages - vma.lazyPages;
      if (vma.shmid !== null && vma.sharedPages !== null && !objects.has(vma.shmid)) {
        objects.add(vma.shmid);
        eager += vma.sharedPages;
      }
      // Private anonymous huge pages look like any private anonymous area but for their flag.
      const kind = (vma.flags & MAP_HUGETLB) !== 0 ? 'hugetlb' : vma.kind;
      if (eager > 0) pages.set(kind, (pages.get(kind) ?? 0) + eager);
    }
  }
  return [...pages].map(([kind, n]) => ({ kind, pages: n }) as EagerMemory).sort((a, b) => b.pages - a.pages);
}
