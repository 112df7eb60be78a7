// The cases by number, in the order issue 7 lists them; each `(ctx) => rows`.
import { latencyCase } from './latency.mjs';

export const cases = {
  1: async (ctx) => {
    const rows = [];
    const victims = ctx.quick
      ? ['tiny C', 'bash loop', 'idle Node', 'C, 100 MiB']
      : ['tiny C', 'bash loop', 'idle Node', 'C, 100 MiB', 'C, 1 GiB'];
    for (const victim of victims)
      rows.push(...(await latencyCase(ctx, '1', victim, { large: victim.startsWith('C, ') })));
    return rows;
  },
};
