// CRIU's own statistics of a checkpoint (stats-dump) and of a restore from it (stats-restore),
// every field, JSON-safe.
import { type DescMessage, isFieldSet, type MessageShape } from '@bufbuild/protobuf';
import { DumpStatsSchema, RestoreStatsSchema, StatsEntrySchema } from '../gen/criu_images_pb.js';
import type { ImageSet } from './image-set.js';
import { jsonInteger } from './json-safe.js';
import type { DumpStatsView, RestoreStatsView } from './types.js';

/** An optional field's value made JSON-safe, or null when the image does not set it. */
function optional<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  name: string,
): number | string | null {
  const field = schema.fields.find((f) => f.localName === name);
  if (!field || !isFieldSet(message, field)) return null;
  return jsonInteger((message as unknown as Record<string, bigint | number>)[name] ?? 0);
}

/** The dump and restore statistics in the dir (null for each one that is absent). */
export async function readStatsViews(
  images: ImageSet,
): Promise<{ dump: DumpStatsView | null; restore: RestoreStatsView | null }> {
  const dump = (await images.first('stats-dump', StatsEntrySchema))?.dump;
  const restore = (await images.first('stats-restore', StatsEntrySchema))?.restore;
  return {
    dump: dump
      ? {
          freezingTimeUs: dump.freezingTime,
          frozenTimeUs: dump.frozenTime,
          memdumpTimeUs: dump.memdumpTime,
          memwriteTimeUs: dump.memwriteTime,
          irmapResolveUs: optional(DumpStatsSchema, dump, 'irmapResolve') as number | null,
          pagesScanned: jsonInteger(dump.pagesScanned),
          pagesSkippedParent: jsonInteger(dump.pagesSkippedParent),
          pagesWritten: jsonInteger(dump.pagesWritten),
          pagesLazy: jsonInteger(dump.pagesLazy),
          pagePipes: optional(DumpStatsSchema, dump, 'pagePipes'),
          pagePipeBufs: optional(DumpStatsSchema, dump, 'pagePipeBufs'),
          shpagesScanned: optional(DumpStatsSchema, dump, 'shpagesScanned'),
          shpagesSkippedParent: optional(DumpStatsSchema, dump, 'shpagesSkippedParent'),
          shpagesWritten: optional(DumpStatsSchema, dump, 'shpagesWritten'),
        }
      : null,
    restore: restore
      ? {
          forkingTimeUs: restore.forkingTime,
          restoreTimeUs: restore.restoreTime,
          pagesCompared: jsonInteger(restore.pagesCompared),
          pagesSkippedCow: jsonInteger(restore.pagesSkippedCow),
          pagesRestored: optional(RestoreStatsSchema, restore, 'pagesRestored'),
        }
      : null,
  };
}
