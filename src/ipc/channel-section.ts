// The `ipc` section of a checkpoint's manifest: the root's Node IPC channel (a child started by
// fork()), found in its environment at checkpoint, so that restore can give it a new one.
import { readFileSync } from 'node:fs';
import { SERIALIZATIONS, type Serialization } from './message-codecs.js';

/** The root's Node IPC channel as the manifest records it (Manifest.ipc). */
export interface IpcChannelSection {
  /** The channel's fd in the root (NODE_CHANNEL_FD). */
  fd: number;
  /** How messages are framed on it (NODE_CHANNEL_SERIALIZATION_MODE; 'json' when unset). */
  serialization: Serialization;
}

/**
 * The channel Node's fork() gave `pid`, from the environment it was started with (Node removes
 * the variables from process.env, not from /proc/PID/environ); undefined if it has none or is gone.
 */
export function readChannelEnv(pid: number): IpcChannelSection | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  const vars = new Map(
    environ
      .split('\0')
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
  );
  const fdText = vars.get('NODE_CHANNEL_FD');
  if (fdText === undefined || !/^\d{1,9}$/.test(fdText)) return undefined;
  // As Node reads it: anything but 'advanced' is 'json'.
  const serialization = vars.get('NODE_CHANNEL_SERIALIZATION_MODE') === 'advanced' ? 'advanced' : 'json';
  return { fd: Number(fdText), serialization };
}

/** Whether `value` is a well-formed section (it decides what restore does with an fd). */
export function isIpcChannelSection(value: unknown): value is IpcChannelSection {
  const section = value as Partial<IpcChannelSection> | null;
  return (
    typeof section === 'object' &&
    section !== null &&
    Number.isSafeInteger(section.fd) &&
    (section.fd as number) >= 0 &&
    SERIALIZATIONS.includes(section.serialization as Serialization)
  );
}
