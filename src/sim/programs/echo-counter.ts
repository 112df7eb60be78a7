// The simulated twin of test/fixtures/echo-counter.c: "tick N" every 20 ms on stdout, and each
// line read on stdin answered with "echo LINE at N", N counting on across checkpoint/restore;
// the line "exit N" makes it exit with code N.
import type { SimProgram } from './program.js';

const TICKS = 0; // u64
const USED = 8; // u32: bytes of a partial line
const LINE = 16;
const LINE_MAX = 511;

export const echoCounter: SimProgram = {
  name: 'echo-counter',
  regions: { state: LINE + LINE_MAX + 1 },
  run(ctx) {
    const mem = ctx.memory('state');
    const ticks = () => mem.readBigUInt64LE(TICKS);
    ctx.onData(0, (chunk) => {
      for (const byte of chunk) {
        const used = mem.readUInt32LE(USED);
        if (byte === 0x0a) {
          const line = mem.toString('utf8', LINE, LINE + used);
          const exit = /^exit (\d+)/.exec(line);
          if (exit) ctx.exit(Number(exit[1]));
          else ctx.write(1, `echo ${line} at ${ticks()}\n`);
          mem.writeUInt32LE(0, USED);
        } else if (used < LINE_MAX) {
          mem[LINE + used] = byte;
          mem.writeUInt32LE(used + 1, USED);
        }
      }
    });
    ctx.every(20, () => {
      mem.writeBigUInt64LE(ticks() + 1n, TICKS);
      ctx.write(1, `tick ${ticks()}\n`);
    });
  },
};
