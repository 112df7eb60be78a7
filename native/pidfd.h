// Thin wrappers over the pidfd system calls, which glibc before 2.36 does not wrap.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace node_criu {

// pidfd_open(pid, 0): a close-on-exec fd that refers to this very process, never to a later one
// that reuses the pid. Returns the fd or -1 with errno set.
int PidfdOpen(pid_t pid);

// pidfd_send_signal(pidfd, signal, NULL, 0). Returns 0 or -1 with errno set.
int PidfdSendSignal(int pidfd, int signal);

// waitid(P_PIDFD, pidfd, info, WEXITED | WNOHANG), retried on EINTR. Returns 0 or an errno.
// info->si_pid is 0 when the process has not exited yet.
int PidfdWaitExited(int pidfd, siginfo_t* info);

// Whether the pidfd reports the process as exited (readable), without waiting.
bool PidfdHasExited(int pidfd);

}  // namespace node_criu
