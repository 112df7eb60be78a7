// Case 9: the warm Node server of issue 14's showcase (scripts/warm/). Time to the first HTTP
// answer of a lazily restored copy of a warmed-up Node 24 server that loads 300 modules, of Node's
// own startup snapshot of the same modules (the server itself starts on deserialize: a snapshot
// cannot hold a listening socket), and of 4 lazy copies at once until each answered, all against a
// cold `node server.mjs` started the same way (node-criu's spawn in a pid namespace), alternating.
import { provisionNode } from '../../provision-node.mjs';
import * as warm from '../../warm/showcase.mjs';
import { alternate } from '../ab.mjs';
import { row, unavailable } from '../rows.mjs';
import { summary } from '../stats.mjs';

const COPIES = 4;

export async function warmCase(ctx) {
  const name = `warm Node 24 server (${warm.MODULES} modules)`;
  let node;
  try {
    node = provisionNode({ major: 24 });
  } catch (error) {
    return [unavailable('9', name, `Node 24 could not be provisioned: ${error.message.split('\n')[0]}`)];
  }
  ctx.log(`case 9: ${name}: checkpoint, then restored copy vs cold start vs startup snapshot`);
  const app = warm.prepareApp(node, ctx.scratch.dir('warm-app'));
  const warmed = await warm.warmCheckpoint(node, app, ctx.scratch.path('images'));
  const images = warmed.checkpoint.imagesDir;
  const r = await alternate(ctx.runs, {
    ...warm.startupSides(node, app, images, warmed.port),
    copies: warm.copiesSide(images, warmed.port, COPIES),
  });
  const left = warm.ourCriuProcesses();
  const note = left.length > 0 ? `criu processes left: ${left.join(', ')}` : '';
  ctx.scratch.remove(images);
  return [
    row('9', `${name}: lazy restore to first HTTP answer (baseline: cold start)`, 'ms', r.restored, r.cold, null, note),
    row('9', `${name}: startup snapshot to first HTTP answer (baseline: cold start)`, 'ms', r.snapshot, r.cold, null),
    row(
      '9',
      `${name}: ${COPIES} lazy copies at once until each answered (baseline: one cold start)`,
      'ms',
      r.copies,
      r.cold,
      null,
    ),
    row('9', `${name}: startup snapshot build (once)`, 'ms', summary([app.snapshotBuildMs]), null, null),
  ];
}
