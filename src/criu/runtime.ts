// A usable CRIU for an operation: located, new enough, and remembered per binary.
import { CriuError, type CriuOperation } from '../errors.js';
import { INSTALL_CRIU } from '../fix-hints.js';
import { CriuRpcClient } from '../rpc/client.js';
import { locateCriu } from './locate.js';

export const MIN_VERSION = { major: 4, minor: 1 } as const;

const verified = new Map<string, Promise<string>>();

export function formatVersion(v: { majorNumber: number; minorNumber: number; sublevel?: number }): string {
  return `${v.majorNumber}.${v.minorNumber}${v.sublevel ? `.${v.sublevel}` : ''}`;
}

export function isSupportedVersion(v: { majorNumber: number; minorNumber: number }): boolean {
  return (
    v.majorNumber > MIN_VERSION.major || (v.majorNumber === MIN_VERSION.major && v.minorNumber >= MIN_VERSION.minor)
  );
}

/** Asks the binary its version over RPC; CRIU_TOO_OLD if it is older than MIN_VERSION. */
async function verify(client: CriuRpcClient, operation: CriuOperation): Promise<string> {
  const version = await client.version();
  const text = formatVersion(version);
  if (!isSupportedVersion(version)) {
    throw new CriuError(
      'CRIU_TOO_OLD',
      `CRIU ${text} at ${client.criuPath} is too old (need >= ${MIN_VERSION.major}.${MIN_VERSION.minor}; 3.17 fails on current kernels with "Unexpected rt vDSO area bounds"). Run '${INSTALL_CRIU}'.`,
      { operation },
    );
  }
  return text;
}

/** The RPC client for the CRIU this operation should use; the version is checked once per path. */
export async function criuClient(criuPath: string | undefined, operation: CriuOperation): Promise<CriuRpcClient> {
  const client = new CriuRpcClient(locateCriu(criuPath, operation).path);
  let check = verified.get(client.criuPath);
  if (!check) {
    check = verify(client, operation);
    verified.set(client.criuPath, check);
    check.catch(() => verified.delete(client.criuPath));
  }
  await check;
  return client;
}

/** The version text of a binary criuClient() has verified. */
export function verifiedVersion(criuPath: string): Promise<string> | undefined {
  return verified.get(criuPath);
}
