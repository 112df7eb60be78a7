// Runs system calls inside another process under ptrace (x86_64), from a short-lived helper.
#pragma once

#include <sys/types.h>

#include <vector>

namespace node_criu {

struct InjectedCall {
  long nr;
  unsigned long args[6];
};

// What the target's threads are left as when the tracer lets go.
enum class FinalState { kUnchanged = 0, kStopped = 1, kRunning = 2 };

struct InjectPlan {
  pid_t pid;
  std::vector<InjectedCall> calls;
  FinalState final_state;
  // How long a thread may take to reach a ptrace stop (a task in uninterruptible sleep may not).
  int stop_timeout_ms;
};

struct InjectOutcome {
  // The raw return of each call that ran, in order (-4095..-1 is -errno); the run stops at the
  // first call that fails.
  std::vector<long> results;
  // Non-zero when tracing itself failed: the errno, and the step that failed.
  int error = 0;
  const char* step = "";
  int threads = 0;
};

// Seizes every thread of `plan.pid`, runs the calls in one of them, restores its registers and
// code, sets the final state and detaches. The tracer is a helper process sharing our memory
// (CLONE_VM|CLONE_VFORK): ptrace stops of a child of ours, reported to the tracer's whole thread
// group, would otherwise be taken by libuv's waitpid() for that child as its exit.
InjectOutcome InjectSyscalls(const InjectPlan& plan);

}  // namespace node_criu
