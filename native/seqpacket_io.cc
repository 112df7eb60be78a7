// The SOCK_SEQPACKET system calls, without JavaScript: pair, send, peek, read, end-of-stream.
#include "seqpacket_io.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace node_criu {
namespace {

// A unix datagram/seqpacket send fails with EMSGSIZE when the packet exceeds the sender's
// SO_SNDBUF (the default allows about 200 KiB). CRIU's messages are small, but callers may send
// bigger ones, so ask for 4 MiB (the kernel doubles it). SO_SNDBUFFORCE ignores
// net.core.wmem_max but needs CAP_NET_ADMIN; without it SO_SNDBUF is silently capped there.
// This is a limit, not an allocation: memory is only charged while packets are queued.
constexpr int kSendBufferBytes = 4 << 20;

void RaiseSendBuffer(int fd) {
  int size = kSendBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
}

// Room for the most fds one message can carry, aligned as cmsghdr requires.
union FdControl {
  cmsghdr align;
  char bytes[CMSG_SPACE(sizeof(int) * kMaxFdsPerPacket)];
};

// recvmsg, retried on EINTR, and once on ECONNRESET. A peer that closes with data of ours
// unread leaves that error on our socket; Linux reports it before any packet the peer sent
// before closing (sock_error is checked first) and clears it by reporting it. So the packets are
// still queued behind it, and a retry reads them, or finds the end of stream. This holds for the
// peek and for the read after it alike: the peer may close between the two. Taken for the end of
// stream or for a failure, it lost CRIU's failure response when CRIU failed with one of our
// answers sent ahead and unread.
ssize_t Receive(int fd, msghdr* msg, int flags) {
  bool reset_seen = false;
  for (;;) {
    const ssize_t got = recvmsg(fd, msg, flags);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    return -1;
  }
}

}  // namespace

int OpenSeqpacketPair(int fds[2]) {
  // SOCK_CLOEXEC on both: our end must not leak into unrelated children, and the other end is
  // handed over through spawn's stdio array, whose dup2 in the child clears the flag anyway.
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return errno;
  RaiseSendBuffer(fds[0]);
  RaiseSendBuffer(fds[1]);
  return 0;
}

int CheckSeqpacket(int fd) {
  int type = 0;
  socklen_t length = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) return errno;
  return type == SOCK_SEQPACKET ? 0 : EPROTOTYPE;
}

int SendPacket(int fd, const uint8_t* data, size_t length, const std::vector<int>& fds) {
  iovec iov{const_cast<uint8_t*>(data), length};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  FdControl control;
  std::memset(&control, 0, sizeof control);
  if (!fds.empty()) {
    if (fds.size() > kMaxFdsPerPacket) return EINVAL;  // what the kernel would say
    const size_t fd_bytes = sizeof(int) * fds.size();
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(fd_bytes);
    cmsghdr* header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(fd_bytes);
    std::memcpy(CMSG_DATA(header), fds.data(), fd_bytes);
  }
  for (;;) {
    // MSG_NOSIGNAL: a vanished peer must be an EPIPE error, not a SIGPIPE killing Node.
    // A SEQPACKET send is all or nothing, so success means the whole packet was queued.
    if (sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

ssize_t PeekPacketSize(int fd) {
  // No buffer at all: MSG_TRUNC makes the kernel return the packet's real length anyway.
  // No control buffer either, so fds riding on the packet are not installed by the peek (the
  // kernel drops its temporary references and sets MSG_CTRUNC, which we ignore here).
  msghdr msg{};
  const ssize_t size = Receive(fd, &msg, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  return size >= 0 ? size : -errno;
}

ReadResult ReadPacket(int fd, uint8_t* buf, size_t length) {
  ReadResult result;
  iovec iov{buf, length};
  FdControl control;
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  // MSG_CMSG_CLOEXEC: received fds are close-on-exec from the first instant, so a concurrent
  // spawn cannot leak them into an unrelated child.
  const ssize_t got = Receive(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (got < 0) {
    result.error = errno;
    return result;
  }
  for (cmsghdr* header = CMSG_FIRSTHDR(&msg); header != nullptr;
       header = CMSG_NXTHDR(&msg, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* data = CMSG_DATA(header);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, data + i * sizeof(int), sizeof received);
      result.fds.push_back(received);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    // Some fds were dropped by the kernel: delivering the rest would silently lose descriptors.
    CloseFds(result.fds);
    result.fds.clear();
    result.error = EMSGSIZE;
    result.detail = "ancillary data truncated (MSG_CTRUNC), fds were lost";
    return result;
  }
  if ((msg.msg_flags & MSG_TRUNC) || static_cast<size_t>(got) != length) {
    // Only possible if another process reads the same socket between our peek and this read.
    CloseFds(result.fds);
    result.fds.clear();
    result.error = EMSGSIZE;
    result.detail = "packet size changed between peek and read";
    return result;
  }
  return result;
}

void DiscardPacket(int fd) {
  // A zero-length read consumes the whole packet (the rest is truncated away); its fds still
  // arrive and must be closed.
  ReadResult result = ReadPacket(fd, nullptr, 0);
  CloseFds(result.fds);
}

bool PeerHasHungUp(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLHUP | POLLRDHUP)) != 0;
}

int QueuedBytes(int fd) {
  int bytes = 0;
  return ioctl(fd, SIOCINQ, &bytes) == 0 ? bytes : 0;
}

void CloseFds(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

}  // namespace node_criu
