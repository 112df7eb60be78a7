// node_criu_launcher: what must happen between fork and exec for a child CRIU can checkpoint.
//
// spawn() and fork() start this program (built beside the addon) through libuv, which has made it
// a session leader (detached) and put the child's stdio at fds 0..N. It then, in the child only:
//   1. closes every fd it was not told to keep (the caller's stray fds, inherited without
//      close-on-exec from a shell or CI runner, would otherwise be dumped with the child);
//   2. enters new namespaces (--ns ipc, pid);
//   3. installs a seccomp filter that fails io_uring_setup with ENOSYS (libuv >= 1.50 then falls
//      back to epoll; CRIU cannot dump io_uring), unless --no-io-uring-block;
//   4. execs the command.
// A failure before the exec is reported as "<syscall> <errno>\n" on the report fd (close-on-exec,
// so a successful exec closes it and the parent reads EOF), then it exits 127.
//
// With a pid namespace the command must be forked (the first child of unshare(CLONE_NEWPID) is
// the namespace's pid 1); this program then stays as its parent, forwards signals to it and exits
// the way it exited, so the caller's ChildProcess sees the command's own exit. A namespace's init
// receives from outside only the signals it handles: one it neither handles nor ignores is sent
// as SIGKILL (as SIGSTOP for the stop signals) and reported as the original signal. SIGKILL to
// this program cannot be forwarded: node-criu's JS side sends it to the command as well.
//
// Usage: node_criu_launcher --report FD [--keep FD,FD...] [--ns ipc,pid] [--no-io-uring-block]
//                           -- COMMAND [ARG...]
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

int report_fd = -1;

[[noreturn]] void Fail(const char* syscall_name, int error) {
  if (report_fd >= 0) {
    char line[128];
    const int n = snprintf(line, sizeof line, "%s %d\n", syscall_name, error);
    if (n > 0 && write(report_fd, line, static_cast<size_t>(n)) < 0) {
      // Nothing more can be said: the exit code tells the rest.
    }
  }
  _exit(127);
}

[[noreturn]] void Usage(const char* what) {
  fprintf(stderr, "node_criu_launcher: %s (this program is started by node-criu's spawn/fork)\n",
          what);
  _exit(125);
}

bool ParseFd(const char* text, int* fd) {
  char* end = nullptr;
  errno = 0;
  const long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > INT32_MAX) return false;
  *fd = static_cast<int>(value);
  return true;
}

// Kernels before 5.9 have no close_range: close what /proc/self/fd lists instead.
void CloseListedBut(const std::set<int>& keep) {
  const int dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) Fail("open", errno);
  DIR* dir = fdopendir(dir_fd);
  if (dir == nullptr) Fail("fdopendir", errno);
  std::vector<int> open_fds;
  while (const dirent* entry = readdir(dir)) {
    int fd = -1;
    if (ParseFd(entry->d_name, &fd) && fd != dir_fd && keep.count(fd) == 0) open_fds.push_back(fd);
  }
  closedir(dir);
  for (int fd : open_fds) close(fd);
}

// close_range(2) over the gaps between the kept fds: one syscall per gap, whatever the fd limit.
void CloseAllBut(const std::set<int>& keep) {
  unsigned int from = 0;
  for (int fd : keep) {
    if (static_cast<unsigned int>(fd) > from &&
        syscall(SYS_close_range, from, static_cast<unsigned int>(fd) - 1, 0) != 0) {
      if (errno == ENOSYS) return CloseListedBut(keep);
      Fail("close_range", errno);
    }
    from = static_cast<unsigned int>(fd) + 1;
  }
  if (syscall(SYS_close_range, from, ~0U, 0) != 0) {
    if (errno == ENOSYS) return CloseListedBut(keep);
    Fail("close_range", errno);
  }
}

// Returns ENOSYS for io_uring_setup and allows everything else. io_uring_setup has number 425 in
// every ABI of the kernel's unified syscall table (x86_64, i386, and x32 with its marker bit), so
// the architecture need not be checked to catch it everywhere.
void BlockIoUring() {
  constexpr uint32_t kIoUringSetup = 425;
  constexpr uint32_t kX32Bit = 0x40000000;
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIoUringSetup, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIoUringSetup | kX32Bit, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter = {static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  // Unprivileged seccomp needs no_new_privs; it also means the command cannot gain privileges
  // through a setuid binary, which a checkpointable worker has no use for.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail("prctl", errno);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0) Fail("seccomp", errno);
}

volatile sig_atomic_t command_pid = 0;
// A signal the namespace's init could not receive, sent as SIGKILL: reported as the exit signal.
volatile sig_atomic_t substituted_signal = 0;

// Parses the hex mask after `field` ("\nSigCgt:") in /proc status text; all bits set if absent.
// Signal-handler safe: no stdio, no locale, no allocation.
uint64_t StatusMask(const char* text, const char* field) {
  const char* at = strstr(text, field);
  if (at == nullptr) return ~0ULL;
  at += strlen(field);
  while (*at == ' ' || *at == '\t') ++at;
  uint64_t mask = 0;
  for (;; ++at) {
    const char c = *at;
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return mask;
    mask = (mask << 4) | static_cast<uint64_t>(digit);
  }
}

enum class Disposition { kCaught, kIgnored, kDefault };

// The init of a pid namespace gets from outside only the signals it has a handler for (and
// SIGKILL/SIGSTOP): how the command treats `sig` decides what forwarding means.
Disposition DispositionOf(pid_t pid, int sig) {
  // "/proc/<pid>/status" formatted by hand: snprintf is not async-signal-safe.
  char path[32] = "/proc/";
  char digits[16];
  int n = 0;
  for (unsigned int v = static_cast<unsigned int>(pid); n == 0 || v != 0; v /= 10) {
    digits[n++] = static_cast<char>('0' + v % 10);
  }
  size_t at = strlen(path);
  while (n > 0) path[at++] = digits[--n];
  memcpy(path + at, "/status", sizeof "/status");
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Disposition::kCaught;
  char text[4096];
  const ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0) return Disposition::kCaught;
  text[got] = '\0';
  const uint64_t bit = 1ULL << (sig - 1);
  if (StatusMask(text, "\nSigCgt:") & bit) return Disposition::kCaught;
  if (StatusMask(text, "\nSigIgn:") & bit) return Disposition::kIgnored;
  return Disposition::kDefault;
}

bool StopsByDefault(int sig) {
  return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool IgnoredByDefault(int sig) {
  return sig == SIGCONT || sig == SIGWINCH || sig == SIGURG;
}

void Forward(int sig) {
  const int saved_errno = errno;
  const pid_t pid = command_pid;
  if (pid > 0) {
    const Disposition how = DispositionOf(pid, sig);
    if (how == Disposition::kCaught || IgnoredByDefault(sig)) {
      kill(pid, sig);
    } else if (how == Disposition::kIgnored) {
      // Ignored there, as it would have been without the namespace.
    } else if (StopsByDefault(sig)) {
      kill(pid, SIGSTOP);
    } else {
      substituted_signal = sig;
      kill(pid, SIGKILL);
    }
  }
  errno = saved_errno;
}

[[noreturn]] void ExitLike(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  if (sig == SIGKILL && substituted_signal != 0) sig = substituted_signal;
  // The command already dumped its core if it had one to dump; this is only the exit status.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);
}

// Installed before the fork, with every signal blocked until the command's pid is known: a signal
// that arrives meanwhile is forwarded once unblocked, never lost with the launcher.
void ForwardSignals() {
  struct sigaction action = {};
  action.sa_handler = Forward;
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS ||
        sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) {
      continue;
    }
    sigaction(sig, &action, nullptr);
  }
}

[[noreturn]] void WaitFor(pid_t child, const sigset_t& original_mask) {
  command_pid = child;
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  // Its stdio and channel belong to the command: holding copies would keep pipes open after the
  // command closed them, and the caller's 'close' event waits for those.
  CloseAllBut({});
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(child, &status, 0);
    if (got == child) ExitLike(status);
    if (got < 0 && errno != EINTR) _exit(125);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::set<int> keep = {0, 1, 2};
  bool new_ipc = false;
  bool new_pid = false;
  bool block_io_uring = true;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--report" && i + 1 < argc) {
      if (!ParseFd(argv[++i], &report_fd)) Usage("--report takes an fd");
      keep.insert(report_fd);
    } else if (arg == "--keep" && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = list.find(',', start);
        const std::string item = list.substr(start, comma - start);
        int fd = -1;
        if (!ParseFd(item.c_str(), &fd)) Usage("--keep takes a comma-separated list of fds");
        keep.insert(fd);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (arg == "--ns" && i + 1 < argc) {
      const std::string list = argv[++i];
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = list.find(',', start);
        const std::string ns = list.substr(start, comma - start);
        if (ns == "ipc") {
          new_ipc = true;
        } else if (ns == "pid") {
          new_pid = true;
        } else {
          Usage("--ns takes ipc and pid");
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (arg == "--no-io-uring-block") {
      block_io_uring = false;
    } else {
      Usage("unknown argument");
    }
  }
  if (i >= argc) Usage("no command after --");
  if (report_fd < 0) Usage("--report is required");
  // The report fd must not outlive a successful exec.
  if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0) Fail("fcntl", errno);
  CloseAllBut(keep);
  const int flags = (new_ipc ? CLONE_NEWIPC : 0) | (new_pid ? CLONE_NEWPID : 0);
  if (flags != 0 && unshare(flags) != 0) Fail("unshare", errno);
  if (new_pid) {
    sigset_t all;
    sigset_t original_mask;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &original_mask);
    ForwardSignals();
    const pid_t child = fork();
    if (child < 0) Fail("fork", errno);
    if (child > 0) WaitFor(child, original_mask);
    // exec resets the handlers; the mask it would keep is put back now.
    sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    // pid 1 of the new namespace leads a session of its own there, as CRIU requires of a root.
    if (setsid() < 0) Fail("setsid", errno);
  }
  if (block_io_uring) BlockIoUring();
  execvp(argv[i], argv + i);
  Fail("execvp", errno);
}
