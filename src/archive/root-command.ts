// The checkpointed root's command, for config.dump's name (checkpointctl's "Container" column).
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { CoreEntrySchema } from '../gen/criu_images_task_pb.js';
import { ImageSet } from '../inspect/image-set.js';

/** The root task's comm, or `pid-N` when the images do not have it (a simulator checkpoint). */
export async function rootCommand(dir: string, pid: number): Promise<string> {
  try {
    const images = await ImageSet.open(dir);
    const root = await images.first('pstree.img', PstreeEntrySchema);
    const core = root && (await images.first(`core-${root.pid}.img`, CoreEntrySchema));
    const comm = core?.tc?.comm ?? core?.threadCore?.comm;
    if (comm) return comm;
  } catch {
    // Only a label: the checkpoint was verified, and a name is not worth failing the export for.
  }
  return `pid-${pid}`;
}
