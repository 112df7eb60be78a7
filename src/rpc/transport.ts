// What the RPC loop needs from a connection to CRIU: whole packets, each with optional fds.

export interface Packet {
  data: Uint8Array;
  /** Descriptors that came with the packet (SCM_RIGHTS); the receiver owns and must close them. */
  fds: number[];
}

/**
 * A packet-preserving, bidirectional channel (a SOCK_SEQPACKET socket in production, a scripted
 * queue in tests). The native SeqpacketSocket satisfies it as is.
 */
export interface PacketTransport {
  send(data: Uint8Array, fds?: readonly number[]): Promise<void>;
  /** The next packet, or null once the peer has gone (CRIU exited). */
  receive(): Promise<Packet | null>;
  close(): void;
}
