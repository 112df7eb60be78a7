// Runs system calls inside another process under ptrace (x86_64), from a short-lived helper.
#include "syscall_inject.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>

namespace node_criu {
namespace {

#if !defined(__x86_64__)
#error "syscall injection is implemented for x86_64 only"
#endif

constexpr int kMaxThreads = 4096;
constexpr int kMaxRequeued = 16;
constexpr int kHelperStack = 256 * 1024;
// The kernel's internal restart codes, seen in rax while a task is stopped inside a syscall.
constexpr long kErestartSys = -512;
constexpr long kErestartNoIntr = -513;
constexpr long kErestartNoHand = -514;
constexpr long kErestartRestartBlock = -516;
constexpr uint16_t kSyscallInsn = 0x050f;  // 0f 05, little-endian

// Everything the helper touches: sized before it starts, because it shares our heap and must
// not allocate (another thread may hold the allocator's lock).
struct Shared {
  const InjectPlan* plan;
  InjectOutcome* out;
  pid_t tids[kMaxThreads];
  int nr_tids;
  int requeued[kMaxRequeued];
  int nr_requeued;
  timespec deadline;
};

bool Fail(Shared* s, int error, const char* step) {
  s->out->error = error;
  s->out->step = step;
  return false;
}

bool PastDeadline(const timespec& deadline) {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > deadline.tv_sec ||
         (now.tv_sec == deadline.tv_sec && now.tv_nsec > deadline.tv_nsec);
}

// Waits, without blocking forever, until `tid` is in a ptrace stop. Returns 0 with the status,
// ESRCH if it exited, ETIMEDOUT, or another errno.
int WaitStop(Shared* s, pid_t tid, int* status) {
  for (;;) {
    pid_t r = waitpid(tid, status, __WALL | WNOHANG);
    if (r == tid) return WIFSTOPPED(*status) ? 0 : ESRCH;
    if (r < 0 && errno != EINTR) return errno;
    if (r == 0) {
      if (PastDeadline(s->deadline)) return ETIMEDOUT;
      timespec pause{0, 100 * 1000};
      nanosleep(&pause, nullptr);
    }
  }
}

bool Seized(const Shared* s, pid_t tid) {
  for (int i = 0; i < s->nr_tids; i++) {
    if (s->tids[i] == tid) return true;
  }
  return false;
}

// One pass over /proc/PID/task, seizing threads not seized yet. Returns how many were new, or -1.
int SeizeNewThreads(Shared* s) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", s->plan->pid);
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Fail(s, errno, "open /proc/PID/task"), -1;
  int added = 0;
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) {
      close(dir);
      return Fail(s, errno, "getdents64"), -1;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
      const char* entry = buf + off;
      uint16_t reclen;
      __builtin_memcpy(&reclen, entry + 16, sizeof reclen);
      const char* name = entry + 19;
      off += reclen;
      if (name[0] < '0' || name[0] > '9') continue;
      pid_t tid = 0;
      for (const char* c = name; *c >= '0' && *c <= '9'; c++) tid = tid * 10 + (*c - '0');
      if (Seized(s, tid)) continue;
      if (s->nr_tids == kMaxThreads) {
        close(dir);
        return Fail(s, E2BIG, "too many threads"), -1;
      }
      if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        if (errno == ESRCH) continue;  // the thread exited meanwhile
        close(dir);
        return Fail(s, errno, "ptrace(PTRACE_SEIZE)"), -1;
      }
      s->tids[s->nr_tids++] = tid;
      added++;
      // Stops the thread at once, whether it runs, sleeps in a syscall or is group-stopped.
      if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0 && errno != ESRCH) {
        close(dir);
        return Fail(s, errno, "ptrace(PTRACE_INTERRUPT)"), -1;
      }
    }
  }
  close(dir);
  return added;
}

// A signal that arrived while we stepped is taken from the thread's stop; it is sent again
// before we let go, so the program still gets it.
void Requeue(Shared* s, int signo) {
  if (s->nr_requeued < kMaxRequeued) s->requeued[s->nr_requeued++] = signo;
}

// Seizes every thread (again until a pass finds no new one: a running thread may clone) and
// waits until each is stopped. Threads that exit meanwhile are dropped.
bool SeizeAll(Shared* s) {
  for (;;) {
    int added = SeizeNewThreads(s);
    if (added < 0) return false;
    if (added == 0) break;
  }
  int kept = 0;
  for (int i = 0; i < s->nr_tids; i++) {
    int status;
    int error = WaitStop(s, s->tids[i], &status);
    if (error == ESRCH || error == ECHILD) continue;
    if (error != 0) return Fail(s, error, "waitpid (thread stop)");
    // A signal-delivery stop: the signal is dropped when we resume the thread, so it is resent.
    if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP) Requeue(s, WSTOPSIG(status));
    s->tids[kept++] = s->tids[i];
  }
  s->nr_tids = kept;
  if (kept == 0) return Fail(s, ESRCH, "ptrace(PTRACE_SEIZE)");
  return true;
}

long Peek(pid_t tid, uintptr_t addr, bool* ok) {
  errno = 0;
  long word = ptrace(PTRACE_PEEKTEXT, tid, reinterpret_cast<void*>(addr), nullptr);
  *ok = errno == 0;
  return word;
}

// Executes the `syscall` instruction at `insn` once, with `regs` loaded. Returns the result.
bool StepSyscall(Shared* s, pid_t tid, user_regs_struct regs, uintptr_t insn, long* result) {
  regs.rip = insn;
  // -1: not inside a syscall, so the kernel applies no restart logic to these registers.
  regs.orig_rax = static_cast<unsigned long long>(-1);
  if (ptrace(PTRACE_SETREGS, tid, nullptr, &regs) != 0) return Fail(s, errno, "ptrace(SETREGS)");
  for (int attempt = 0; attempt < 64; attempt++) {
    if (ptrace(PTRACE_SINGLESTEP, tid, nullptr, nullptr) != 0) {
      return Fail(s, errno, "ptrace(SINGLESTEP)");
    }
    int status;
    if (int error = WaitStop(s, tid, &status)) return Fail(s, error, "waitpid (single step)");
    user_regs_struct now;
    if (ptrace(PTRACE_GETREGS, tid, nullptr, &now) != 0) return Fail(s, errno, "ptrace(GETREGS)");
    const int signo = WSTOPSIG(status);
    const bool event = (status >> 16) != 0;
    if (!event && signo != SIGTRAP) Requeue(s, signo);
    if (now.rip == insn + 2) {
      *result = static_cast<long>(now.rax);
      return true;
    }
    // A stop before the instruction ran (a pending trap or signal): step again.
    if (now.rip != insn) return Fail(s, EFAULT, "single step left the syscall instruction");
  }
  return Fail(s, EAGAIN, "single step never ran the syscall");
}

// Registers the thread resumes with: a syscall it was stopped in is rewound to start again,
// exactly as the kernel would have done had we not stopped it.
user_regs_struct Resumable(const user_regs_struct& saved) {
  user_regs_struct regs = saved;
  const long orig = static_cast<long>(saved.orig_rax);
  const long ret = static_cast<long>(saved.rax);
  if (orig < 0) return regs;
  if (ret == kErestartSys || ret == kErestartNoIntr || ret == kErestartNoHand) {
    regs.rax = saved.orig_rax;
  } else if (ret == kErestartRestartBlock) {
    regs.rax = SYS_restart_syscall;  // resumes nanosleep & co. with the time left
  } else {
    return regs;
  }
  regs.rip -= 2;
  regs.orig_rax = static_cast<unsigned long long>(-1);
  return regs;
}

bool RunCalls(Shared* s, pid_t tid) {
  user_regs_struct saved;
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &saved) != 0) return Fail(s, errno, "ptrace(GETREGS)");
  const user_regs_struct resume = Resumable(saved);
  bool ok;
  // A thread inside a syscall has a syscall instruction just behind it: borrow that one.
  uintptr_t insn = 0;
  if (static_cast<long>(saved.orig_rax) >= 0 && saved.rip >= 2) {
    long word = Peek(tid, saved.rip - 2, &ok);
    if (ok && static_cast<uint16_t>(word) == kSyscallInsn) insn = saved.rip - 2;
  }
  // Otherwise write one at the resume address, in the aligned word(s) covering it.
  uintptr_t patched[2] = {0, 0};
  long original[2] = {0, 0};
  int nr_patched = 0;
  if (insn == 0) {
    insn = resume.rip;
    const uintptr_t first = insn & ~uintptr_t{7};
    const int shift = static_cast<int>(insn - first);
    nr_patched = shift == 7 ? 2 : 1;
    for (int i = 0; i < nr_patched; i++) {
      patched[i] = first + 8 * i;
      original[i] = Peek(tid, patched[i], &ok);
      if (!ok) return Fail(s, errno, "ptrace(PEEKTEXT)");
    }
    unsigned char bytes[16];
    __builtin_memcpy(bytes, original, sizeof bytes);
    bytes[shift] = 0x0f;
    bytes[shift + 1] = 0x05;
    long words[2];
    __builtin_memcpy(words, bytes, sizeof words);
    for (int i = 0; i < nr_patched; i++) {
      if (ptrace(PTRACE_POKETEXT, tid, reinterpret_cast<void*>(patched[i]),
                 reinterpret_cast<void*>(words[i])) != 0) {
        for (int j = 0; j < i; j++) {
          ptrace(PTRACE_POKETEXT, tid, reinterpret_cast<void*>(patched[j]),
                 reinterpret_cast<void*>(original[j]));
        }
        return Fail(s, errno, "ptrace(POKETEXT)");
      }
    }
  }
  bool all = true;
  for (const InjectedCall& call : s->plan->calls) {
    user_regs_struct regs = resume;
    regs.rax = static_cast<unsigned long long>(call.nr);
    regs.rdi = call.args[0];
    regs.rsi = call.args[1];
    regs.rdx = call.args[2];
    regs.r10 = call.args[3];
    regs.r8 = call.args[4];
    regs.r9 = call.args[5];
    long result;
    if (!StepSyscall(s, tid, regs, insn, &result)) {
      all = false;
      break;
    }
    // Assigning within the reserved capacity never allocates.
    s->out->results.push_back(result);
    if (result < 0 && result >= -4095) break;
  }
  // The code and registers go back even after a failure: the thread must run on as it was.
  for (int i = 0; i < nr_patched; i++) {
    if (ptrace(PTRACE_POKETEXT, tid, reinterpret_cast<void*>(patched[i]),
               reinterpret_cast<void*>(original[i])) != 0 &&
        all) {
      all = Fail(s, errno, "ptrace(POKETEXT) restoring code");
    }
  }
  if (ptrace(PTRACE_SETREGS, tid, nullptr, &resume) != 0 && all) {
    all = Fail(s, errno, "ptrace(SETREGS) restoring registers");
  }
  return all;
}

void LetGo(Shared* s, bool apply_final_state) {
  const pid_t pid = s->plan->pid;
  // Sent while every thread is still held: each one acts on it before running any user code.
  if (apply_final_state && s->plan->final_state == FinalState::kStopped) kill(pid, SIGSTOP);
  if (apply_final_state && s->plan->final_state == FinalState::kRunning) kill(pid, SIGCONT);
  for (int i = 0; i < s->nr_requeued; i++) {
    const int signo = s->requeued[i];
    // A stop signal taken from a thread is superseded by an explicit final state.
    const bool stop = signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
    if (stop && apply_final_state && s->plan->final_state != FinalState::kUnchanged) continue;
    kill(pid, signo);
  }
  for (int i = 0; i < s->nr_tids; i++) ptrace(PTRACE_DETACH, s->tids[i], nullptr, nullptr);
}

int HelperMain(void* arg) {
  Shared* s = static_cast<Shared*>(arg);
  if (!SeizeAll(s)) {
    LetGo(s, false);
    return 0;
  }
  s->out->threads = s->nr_tids;
  // The thread group leader when it is alive, otherwise any thread.
  pid_t runner = s->tids[0];
  for (int i = 0; i < s->nr_tids; i++) {
    if (s->tids[i] == s->plan->pid) runner = s->plan->pid;
  }
  const bool ran = s->plan->calls.empty() || RunCalls(s, runner);
  LetGo(s, ran);
  return 0;
}

}  // namespace

InjectOutcome InjectSyscalls(const InjectPlan& plan) {
  InjectOutcome out;
  out.results.reserve(plan.calls.size());
  std::vector<char> stack(kHelperStack);
  auto shared = std::make_unique<Shared>();
  shared->plan = &plan;
  shared->out = &out;
  shared->nr_tids = 0;
  shared->nr_requeued = 0;
  clock_gettime(CLOCK_MONOTONIC, &shared->deadline);
  shared->deadline.tv_sec += plan.stop_timeout_ms / 1000;
  shared->deadline.tv_nsec += (plan.stop_timeout_ms % 1000) * 1000000L;
  if (shared->deadline.tv_nsec >= 1000000000L) {
    shared->deadline.tv_sec++;
    shared->deadline.tv_nsec -= 1000000000L;
  }
  // CLONE_VFORK: this thread sleeps until the helper exits, so the memory it reads is stable.
  pid_t helper = clone(HelperMain, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD,
                       shared.get());
  if (helper < 0) {
    out.error = errno;
    out.step = "clone";
    return out;
  }
  int status;
  while (waitpid(helper, &status, __WALL) < 0 && errno == EINTR) {
  }
  return out;
}

}  // namespace node_criu
