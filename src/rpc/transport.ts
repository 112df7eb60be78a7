// What the RPC loop needs from a connection to CRIU: whole packets, each with optional fds.

/** One message of a packet channel, with the fds passed along with it. */
export interface Packet {
  /** The packet's bytes (one whole protobuf message for CRIU's RPC). */
  data: Uint8Array;
  /** Descriptors that came with the packet (SCM_RIGHTS); the receiver owns and must close them. */
  fds: number[];
}

/**
 * A packet-preserving, bidirectional channel (a SOCK_SEQPACKET socket in production, a scripted
 * queue in tests). The native SeqpacketSocket satisfies it as is.
 */
export interface PacketTransport {
  /** Sends one packet, passing `fds` with it (SCM_RIGHTS); ours stay open. */
  send(data: Uint8Array, fds?: readonly number[]): Promise<void>;
  /** The next packet, or null once the peer has gone (CRIU exited). */
  receive(): Promise<Packet | null>;
  /** Closes our end: the peer sees the channel end. */
  close(): void;
}
