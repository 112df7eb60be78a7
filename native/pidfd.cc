// Thin wrappers over the pidfd system calls, which glibc before 2.36 does not wrap.
#include "pidfd.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// Older kernel headers lack these; the numbers are the same on every architecture.
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace node_criu {

int PidfdOpen(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

int PidfdSendSignal(int pidfd, int signal) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

int PidfdWaitExited(int pidfd, siginfo_t* info) {
  for (;;) {
    // waitid leaves info alone when nothing is ready; zeroing it is how si_pid == 0 means "not
    // yet". WNOHANG because libuv made the pidfd non-blocking, and a poll wakeup is the only
    // reason we call this: it must never wait.
    std::memset(info, 0, sizeof *info);
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info, WEXITED | WNOHANG) ==
        0) {
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}

bool PidfdHasExited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

}  // namespace node_criu
