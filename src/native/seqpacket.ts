// SOCK_SEQPACKET sockets with fd passing (native/seqpacket.cc, seqpacket_io.cc): the contract, the
// raw binding and the adapter that checks arguments before they reach C++.
import { argumentError, assertFd } from './validate.js';

export interface SeqpacketMessage {
  data: Buffer;
  /** Received with MSG_CMSG_CLOEXEC, so close-on-exec. The receiver owns and must close them. */
  fds: number[];
}

export interface SeqpacketSocket {
  /** The socket's fd; -1 once closed. */
  readonly fd: number;
  /**
   * Sends one packet with optional fds (SCM_RIGHTS). Resolves when the kernel accepted it.
   * If the send buffer is full the packet waits in a queue, holding its own copy of the bytes
   * and its own duplicates of the fds: the caller may reuse `data` and close `fds` as soon as
   * send() returns. A packet larger than the socket's send buffer fails with EMSGSIZE:
   * seqpacketPair asks for 4 MiB (the kernel doubles it, so about 8 MiB); without CAP_NET_ADMIN
   * the request is capped at net.core.wmem_max (doubled as well).
   */
  send(data: Uint8Array, fds?: readonly number[]): Promise<void>;
  /**
   * Resolves with the next packet, or null at end of stream (peer closed / ECONNRESET).
   * Concurrent calls queue up and get consecutive packets in call order.
   * An empty packet arrives as an empty `data` while the peer is connected; an empty packet sent
   * just before the peer closes (followed by nothing but empty packets) reads as the end of
   * stream, since the kernel reports both as a 0-byte read. CRIU never sends empty packets.
   */
  receive(): Promise<SeqpacketMessage | null>;
  /**
   * Stops polling, rejects a pending receive/send with an ECANCELED system error, closes the fd.
   * Idempotent. Later send()/receive() calls reject with ECANCELED too.
   */
  close(): void;
}

/** The seqpacket part of NativeAddon. */
export interface SeqpacketApi {
  /** Returns [our end wrapped as SeqpacketSocket, the other end as a raw fd]. Both fds are O_CLOEXEC (the raw one is handed to a child through spawn's stdio array, whose dup2 clears the flag in the child). */
  seqpacketPair(): [SeqpacketSocket, number];
  /**
   * Wraps an existing SOCK_SEQPACKET socket fd (e.g. the raw end of a pair, or one received in a
   * packet). Takes ownership: the fd is closed by close(), and also if this throws.
   */
  openSeqpacket(fd: number): SeqpacketSocket;
}

/** The raw packet the addon resolves receive() with. */
interface RawPacket {
  data: Buffer;
  fds: number[];
}

/** native/seqpacket.h */
interface RawSeqpacket {
  readonly fd: number;
  send(data: Uint8Array, fds: number[]): Promise<void>;
  receive(): Promise<RawPacket | null>;
  close(): void;
}

/** The addon's seqpacket exports. */
export interface RawSeqpacketBinding {
  Seqpacket: new (fd: number) => RawSeqpacket;
  seqpacketPair(): [RawSeqpacket, number];
}

/** SCM_MAX_FD: the most fds the kernel accepts in one packet. */
const MAX_FDS_PER_PACKET = 253;

class NativeSeqpacketSocket implements SeqpacketSocket {
  readonly #raw: RawSeqpacket;

  constructor(raw: RawSeqpacket) {
    this.#raw = raw;
  }

  get fd(): number {
    return this.#raw.fd;
  }

  async send(data: Uint8Array, fds: readonly number[] = []): Promise<void> {
    if (!(data instanceof Uint8Array)) throw argumentError('data must be a Uint8Array.', 'ERR_INVALID_ARG_TYPE');
    if (!Array.isArray(fds)) throw argumentError('fds must be an array of fds.', 'ERR_INVALID_ARG_TYPE');
    if (fds.length > MAX_FDS_PER_PACKET) {
      throw argumentError(
        `At most ${MAX_FDS_PER_PACKET} fds fit in one packet, got ${fds.length}.`,
        'ERR_OUT_OF_RANGE',
      );
    }
    for (const [i, fd] of fds.entries()) assertFd(fd, `fds[${i}]`);
    return this.#raw.send(data, [...fds]);
  }

  receive(): Promise<SeqpacketMessage | null> {
    return this.#raw.receive();
  }

  close(): void {
    this.#raw.close();
  }
}

export function seqpacketApi(raw: RawSeqpacketBinding): SeqpacketApi {
  return {
    seqpacketPair() {
      const [socket, fd] = raw.seqpacketPair();
      return [new NativeSeqpacketSocket(socket), fd];
    },
    openSeqpacket(fd) {
      assertFd(fd, 'fd');
      return new NativeSeqpacketSocket(new raw.Seqpacket(fd));
    },
  };
}
