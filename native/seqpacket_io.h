// The SOCK_SEQPACKET system calls, without JavaScript: pair, send, peek, read, end-of-stream.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace node_criu {

// SCM_MAX_FD in the kernel: no single SCM_RIGHTS message can carry more.
constexpr size_t kMaxFdsPerPacket = 253;

// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC) with send buffers raised so that large
// packets fit. Returns 0 or an errno.
int OpenSeqpacketPair(int fds[2]);

// Whether fd is a SOCK_SEQPACKET socket. Returns 0, EPROTOTYPE, or getsockopt's errno.
int CheckSeqpacket(int fd);

// One sendmsg(MSG_DONTWAIT | MSG_NOSIGNAL) of a whole packet plus fds (SCM_RIGHTS).
// Returns 0 or an errno (EAGAIN: the send buffer is full, try again when writable).
int SendPacket(int fd, const uint8_t* data, size_t length, const std::vector<int>& fds);

// The size of the next packet, from recvmsg(MSG_PEEK | MSG_TRUNC) without consuming it.
// Returns the size, or -errno (-EAGAIN: nothing queued). 0 is an empty packet or end of stream.
ssize_t PeekPacketSize(int fd);

struct ReadResult {
  int error = 0;                 // 0 or an errno; on error no fds are left open
  const char* detail = nullptr;  // why, when error is ours rather than the kernel's
  std::vector<int> fds;          // received with MSG_CMSG_CLOEXEC; the caller owns them
};

// Reads the next packet, which must be exactly `length` bytes, into buf.
ReadResult ReadPacket(int fd, uint8_t* buf, size_t length);

// Consumes the next packet and closes any fds it carried (used when it cannot be delivered).
void DiscardPacket(int fd);

// True when the peer can send nothing more: it closed its end or shut down writing.
bool PeerHasHungUp(int fd);

// Bytes of all packets queued for reading (SIOCINQ sums them on SEQPACKET sockets).
int QueuedBytes(int fd);

// Closes each fd, ignoring errors (they are ours and unused).
void CloseFds(const std::vector<int>& fds);

}  // namespace node_criu
