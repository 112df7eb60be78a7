// spawnWithFds: posix_spawn with an fd map, off the JS thread (see spawn_fds.h for why not child_process).
#include "spawn_fds.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "system_error.h"

extern char** environ;

namespace node_criu {
namespace {

// The child's fds are assigned with dup2 from copies at or above this number: a source fd that
// is also a target (fds = [.., 5, ..] with 5 at another index) could otherwise be overwritten
// before it is copied, and dup2(fd, fd) would leave it close-on-exec.
constexpr int kCopiesFrom = 1024;

// Our copies of the sources, closed however the spawn ends.
class SourceCopies {
 public:
  ~SourceCopies() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  // Returns the copy of `fd`, or -1 with errno set.
  int Add(int fd) {
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, kCopiesFrom);
    fds_.push_back(copy);
    return copy;
  }

 private:
  std::vector<int> fds_;
};

// posix_spawn_file_actions_t and posix_spawnattr_t, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

// One spawn: everything posix_spawn reads, built on the JS thread (the fd copies too, so that the
// caller may close its fds as soon as the call returns), then run on a pool thread. Kept on the
// heap and never moved: argv points into args, the file actions into the copies.
class SpawnJob {
 public:
  SpawnJob(const Napi::CallbackInfo& info) : path_(info[0].As<Napi::String>().Utf8Value()) {
    Napi::Env env = info.Env();
    Napi::Array args_in = info[1].As<Napi::Array>();
    Napi::Array fds_in = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < args_in.Length(); i++) args_.push_back(args_in.Get(i).As<Napi::String>().Utf8Value());
    for (std::string& arg : args_) argv_.push_back(arg.data());
    argv_.push_back(nullptr);

    for (uint32_t target = 0; target < fds_in.Length(); target++) {
      int source = fds_in.Get(target).As<Napi::Number>().Int32Value();
      int error;
      if (source < 0) {
        error = posix_spawn_file_actions_addopen(&setup_.actions, static_cast<int>(target), "/dev/null",
                                                 target == 0 ? O_RDONLY : O_WRONLY, 0);
      } else {
        int copy = copies_.Add(source);
        if (copy < 0) throw SystemError(env, errno, "fcntl", "F_DUPFD_CLOEXEC of fd " + std::to_string(source));
        error = posix_spawn_file_actions_adddup2(&setup_.actions, copy, static_cast<int>(target));
      }
      if (error != 0) throw SystemError(env, error, "posix_spawn_file_actions");
    }

    // And nothing else: a stray fd of ours that is not close-on-exec (one our own parent left us)
    // must not reach the child either.
    if (int error = posix_spawn_file_actions_addclosefrom_np(&setup_.actions, static_cast<int>(fds_in.Length()))) {
      throw SystemError(env, error, "posix_spawn_file_actions_addclosefrom_np");
    }

    sigset_t empty;
    sigset_t all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup_.attributes, &empty);
    posix_spawnattr_setsigdefault(&setup_.attributes, &all);
    posix_spawnattr_setflags(&setup_.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  SpawnJob(const SpawnJob&) = delete;
  SpawnJob& operator=(const SpawnJob&) = delete;

  // Any thread. glibc reports a failed exec (ENOENT, EACCES, ...) as the return value: its child
  // shares our memory until it execs.
  void Run() { error_ = posix_spawn(&pid_, path_.c_str(), &setup_.actions, &setup_.attributes, argv_.data(), environ); }

  Napi::Value Outcome(Napi::Env env) const {
    if (error_ != 0) return SystemError(env, error_, "posix_spawn", path_).Value();
    return Napi::Number::New(env, pid_);
  }
  bool Failed() const { return error_ != 0; }

 private:
  std::string path_;
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  SpawnSetup setup_;
  SourceCopies copies_;
  pid_t pid_ = 0;
  int error_ = 0;
};

// posix_spawn blocks its caller until the child has exec'd (CLONE_VFORK): about 1.5 ms for CRIU
// here, which the JS thread spends on the operation's own checks instead.
class SpawnWorker : public Napi::AsyncWorker {
 public:
  SpawnWorker(Napi::Env env, std::unique_ptr<SpawnJob> job)
      : Napi::AsyncWorker(env, "node-criu:spawnWithFds"),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { job_->Run(); }

  void OnOK() override {
    Napi::Value outcome = job_->Outcome(Env());
    if (job_->Failed()) {
      deferred_.Reject(outcome);
    } else {
      deferred_.Resolve(outcome);
    }
  }

 private:
  std::unique_ptr<SpawnJob> job_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value SpawnWithFds(const Napi::CallbackInfo& info) {
  auto job = std::make_unique<SpawnJob>(info);  // throws, nothing queued, for a bad fd
  auto* worker = new SpawnWorker(info.Env(), std::move(job));
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself once settled
  return promise;
}

}  // namespace node_criu
