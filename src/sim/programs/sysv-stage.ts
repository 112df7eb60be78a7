// A pipeline stage on a SysV segment: every 10 ms it takes the frame number at the segment's
// offset 0, advances it and reports "stage N" on stdout. Usage: sysv-stage SHMID.
// Its progress lives in the segment, so a restore attached to a substitute continues from the
// substitute's frame number.
import type { SimProgram } from './program.js';

export const sysvStage: SimProgram = {
  name: 'sysv-stage',
  regions: { state: 8 },
  init(ctx) {
    const shmid = Number(ctx.args[0]);
    if (!Number.isInteger(shmid)) throw new TypeError('sysv-stage needs a segment id argument.');
    ctx.attachShm(shmid, true);
  },
  run(ctx) {
    const segment = ctx.memory('sysv');
    const state = ctx.memory('state');
    ctx.every(10, () => {
      const frame = segment.readUInt32LE(0) + 1;
      segment.writeUInt32LE(frame, 0);
      state.writeBigUInt64LE(state.readBigUInt64LE(0) + 1n, 0);
      ctx.write(1, `stage ${frame}\n`);
    });
  },
};
