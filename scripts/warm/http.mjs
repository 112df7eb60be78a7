// The warm showcase's HTTP client: one request per connection (Connection: close, no agent), so
// that no connection outlives a request and a checkpoint never meets an established TCP socket.
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET http://127.0.0.1:PORT/ once; resolves with the parsed JSON answer. */
export function request(port) {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(new Error(`not JSON from 127.0.0.1:${port}: ${JSON.stringify(body)}`, { cause: error }));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * GET until an answer comes; a refused connection is retried (every millisecond, for up to
 * `timeoutMs`), since a server may be between exec and listen.
 */
export async function firstAnswer(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request(port);
    } catch (error) {
      if (error?.code !== 'ECONNREFUSED' || Date.now() > deadline) throw error;
      await sleep(1);
    }
  }
}
