// Starting the warm server the two ways that do not restore it, both with node-criu's spawn: cold
// (`node server.mjs`) and from Node's startup snapshot (`node --snapshot-blob`).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawn } from '../../dist/src/index.js';
import { lineReader } from './lines.mjs';

/**
 * Starts a server with node-criu's spawn (in a pid namespace of its own, io_uring blocked, every
 * stdio a pipe to us) and resolves once it printed `listening PORT`.
 */
async function startServer(node, args) {
  const child = spawn(node, args, { stdio: 'pipe', namespaces: ['pid'] });
  const errors = [];
  child.stderr.on('data', (d) => errors.push(d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const out = lineReader(child.stdout);
  const line = await Promise.race([
    out.next(/^listening \d+$/),
    exited.then((e) => {
      throw new Error(`${node} ${args.join(' ')} exited (${JSON.stringify(e)}) before listening: ${errors.join('')}`);
    }),
  ]);
  const stop = async () => {
    // SIGKILL: as pid 1 of its namespace, Node survives SIGTERM (its own handler re-raises it,
    // and a namespace's init never gets a signal it does not handle). spawn sends it to both.
    child.kill('SIGKILL');
    await exited;
  };
  return { child, port: Number(line.split(' ')[1]), out, stop, exited };
}

/** A cold start: `node server.mjs APPDIR PORT`. */
export const startCold = (node, app, port = 0) => startServer(node, [app.server, app.dir, String(port)]);

/** A start from Node's startup snapshot: `node --snapshot-blob BLOB PORT`. */
export const startFromSnapshot = (node, app, port = 0) =>
  startServer(node, ['--snapshot-blob', app.blob, String(port)]);

/** Host pid of the server in `launcher`'s pid namespace (its only child). */
export function serverPid(launcher) {
  const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/);
  return Number(children[0]);
}

/** TCP sockets of `pid` that are not listening (an open connection would need tcpEstablished). */
export function connectionsOf(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (error) {
      // Closed since the listing (a connection just ended): not one of its connections.
      if (error.code === 'ENOENT') continue;
      throw error;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]);
  }
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  // Fields: sl local rem st ... inode (10th); state 0A is LISTEN.
  return rows.map((r) => r.trim().split(/\s+/)).filter((f) => f.length > 9 && inodes.has(f[9]) && f[3] !== '0A').length;
}
