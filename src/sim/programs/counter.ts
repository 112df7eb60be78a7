// A counter whose count lives in simulated memory and is written to stdout every 10 ms.
import type { SimProgram } from './program.js';

export const counter: SimProgram = {
  name: 'counter',
  regions: { state: 8 },
  run(ctx) {
    const mem = ctx.memory('state');
    ctx.every(10, () => {
      const n = mem.readBigUInt64LE(0) + 1n;
      mem.writeBigUInt64LE(n, 0);
      ctx.write(1, `${n}\n`);
    });
  },
};
