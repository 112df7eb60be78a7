// Where a migration goes or is served: host and port, and their text form `HOST:PORT`,
// `[IPV6]:PORT` (a link-local address with its scope, `[fe80::1%eth0]:7000`).
import { isIP } from 'node:net';

/** A TCP endpoint. `host` is an IP address; an IPv6 link-local one needs its scope (`fe80::1%eth0`). */
export interface Endpoint {
  /** An IP address (v4, or v6 with its scope when link-local); never a name. */
  host: string;
  /** The TCP port (0 only where listening: any free port). */
  port: number;
}

/**
 * Parses `HOST:PORT` or `[IPV6%SCOPE]:PORT` (for the CLI's --listen/--to); port 0 (any free one)
 * only with `allowAnyPort`, for listening. @throws {TypeError|RangeError}
 */
export function parseEndpoint(text: string, allowAnyPort = false): Endpoint {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match) throw new TypeError(`'${text}' is not HOST:PORT (an IPv6 address in brackets: [fe80::1%eth0]:7000).`);
  const endpoint = { host: match[1] as string, port: Number(match[2]) };
  assertEndpoint(endpoint, 'endpoint', allowAnyPort);
  return endpoint;
}

/** `HOST:PORT`, IPv6 in brackets. */
export function formatEndpoint({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Checks an endpoint option. @throws {TypeError|RangeError} */
export function assertEndpoint(value: unknown, name: string, allowAnyPort = false): asserts value is Endpoint {
  if (typeof value !== 'object' || value === null) throw new TypeError(`Option '${name}' must be { host, port }.`);
  const { host, port } = value as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (key !== 'host' && key !== 'port') throw new TypeError(`Unknown option '${name}.${key}'.`);
  }
  // An address, not a name: which address a name resolves to must not decide where a process goes.
  if (typeof host !== 'string' || isIP(host.replace(/%[^%]+$/, '')) === 0) {
    throw new TypeError(`Option '${name}.host' must be an IP address (got ${JSON.stringify(host)}).`);
  }
  const min = allowAnyPort ? 0 : 1;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(`Option '${name}.port' must be an integer from ${min} to 65535 (got ${String(port)}).`);
  }
}
