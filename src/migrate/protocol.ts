// The messages of node-criu's migration protocol (JSON frames, frames.ts), in the order they are
// sent. A migration uses two TCP connections to the destination: control (these messages and the
// images) and pages (after its hello, CRIU's page-server protocol relayed as is).

import type { FdNeed } from '../restore-needs.js';
import type { LazyPagesStats } from '../types.js';
import { type Frame, FrameKind, type FrameReader } from './frames.js';

/** Bumped when a message changes meaning; a peer of another version is refused. */
export const PROTOCOL_VERSION = 1;

/** Source -> destination, first on the control connection: what is coming and what it needs. */
export interface Hello {
  type: 'hello';
  protocol: number;
  /** The root's pid at the source (for the destination's log and events). */
  pid: number;
  /** The fds whose other ends stay behind: the destination gives them substitutes (its `fds`) or defaults. */
  needs: FdNeed[];
}

/** Destination -> source: the migration's id, which the page connection names. */
export interface Accept {
  type: 'accept';
  id: string;
}

/** Destination -> source: no (before anything is frozen, or the restore failed before the tree ran). */
export interface Refuse {
  type: 'refuse';
  message: string;
}

/** Source -> destination, first on the page connection. */
export interface PagesHello {
  type: 'pages';
  protocol: number;
  id: string;
}

/** Source -> destination: an image file follows in data frames (`size` bytes). */
export interface FileHeader {
  type: 'file';
  name: string;
  size: number;
}

/** Source -> destination: every image is sent; restore now. The tree has been frozen `frozenMs`. */
export interface Start {
  type: 'start';
  frozenMs: number;
}

/** Destination -> source: the tree runs at the destination (the point of no return). */
export interface Running {
  type: 'running';
  pid: number;
  downtimeMs: number;
}

/** Destination -> source: every page is in. */
export interface Loaded {
  type: 'loaded';
  pages: LazyPagesStats;
}

/** Either side: the migration is given up (before `running`: the source resumes). */
export interface Abort {
  type: 'abort';
  message: string;
}

export type Message = Hello | Accept | Refuse | PagesHello | FileHeader | Start | Running | Loaded | Abort;

/** The next message; a data frame or malformed JSON where a message is due is a protocol error. */
export async function nextMessage(reader: FrameReader): Promise<Message> {
  return decodeMessage(await reader.next());
}

export function decodeMessage(frame: Frame): Message {
  if (frame.kind !== FrameKind.message) throw new Error('the peer sent data where a message was due');
  let message: unknown;
  try {
    message = JSON.parse(frame.payload.toString('utf8'));
  } catch {
    throw new Error('the peer sent a message that is not JSON');
  }
  if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') {
    throw new Error('the peer sent a message without a type');
  }
  return message as Message;
}

/** The message of type `type`, or a throw that says what came instead (an abort's reason). */
export function expect<T extends Message['type']>(message: Message, type: T): Extract<Message, { type: T }> {
  if (message.type === type) return message as Extract<Message, { type: T }>;
  if (message.type === 'abort' || message.type === 'refuse') throw new Error(message.message);
  throw new Error(`the peer sent '${message.type}' where '${type}' was due`);
}
