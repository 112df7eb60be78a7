// The inspect module's public face: inspect() and its JSON shape, the images' own fd table, and
// the image <-> JSON conversion behind `node-criu decode` / `encode`.
export { fdTableFromImages } from '../fds/images-fd-table.js';
export {
  type EntryJson,
  encodeImageJson,
  IMAGE_JSON_FORMAT,
  type ImageJson,
  imageFromJson,
  imageToJson,
} from './image-json.js';
export { inspect } from './inspect.js';
export { type JsonInteger, jsonInteger } from './json-safe.js';
export { PAGE_SIZE } from './memory.js';
export type { SysvMsgView, SysvSemView, SysvShmView, SysvView } from './sysv-types.js';
export {
  type CheckpointView,
  type DumpStatsView,
  INSPECT_FORMAT,
  type ManifestFacts,
  type MemoryView,
  type NamespaceIds,
  type NamespaceKind,
  type NamespacesView,
  type NamespaceView,
  type RestoreStatsView,
  type TaskState,
  type TaskView,
  type VmaKind,
  type VmaView,
} from './types.js';
export { protString, VMA, vmaKind } from './vma-kind.js';
