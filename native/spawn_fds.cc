// spawnWithFds: posix_spawn with an fd map (see spawn_fds.h for why not child_process).
#include "spawn_fds.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

Napi::Value SpawnWithFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Array args_in = info[1].As<Napi::Array>();
  Napi::Array fds_in = info[2].As<Napi::Array>();

  std::vector<std::string> args;
  for (uint32_t i = 0; i < args_in.Length(); i++) args.push_back(args_in.Get(i).As<Napi::String>().Utf8Value());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  SpawnSetup setup;
  SourceCopies copies;
  for (uint32_t target = 0; target < fds_in.Length(); target++) {
    int source = fds_in.Get(target).As<Napi::Number>().Int32Value();
    int error;
    if (source < 0) {
      error = posix_spawn_file_actions_addopen(&setup.actions, static_cast<int>(target), "/dev/null",
                                               target == 0 ? O_RDONLY : O_WRONLY, 0);
    } else {
      int copy = copies.Add(source);
      if (copy < 0) throw SystemError(env, errno, "fcntl", "F_DUPFD_CLOEXEC of fd " + std::to_string(source));
      error = posix_spawn_file_actions_adddup2(&setup.actions, copy, static_cast<int>(target));
    }
    if (error != 0) throw SystemError(env, error, "posix_spawn_file_actions");
  }

  // And nothing else: a stray fd of ours that is not close-on-exec (one our own parent left us)
  // must not reach the child either.
  if (int error = posix_spawn_file_actions_addclosefrom_np(&setup.actions, static_cast<int>(fds_in.Length()))) {
    throw SystemError(env, error, "posix_spawn_file_actions_addclosefrom_np");
  }

  sigset_t empty;
  sigset_t all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attributes, &empty);
  posix_spawnattr_setsigdefault(&setup.attributes, &all);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  // glibc reports a failed exec (ENOENT, EACCES, ...) as the return value: its child shares our
  // memory until it execs.
  if (int error = posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attributes, argv.data(), environ)) {
    throw SystemError(env, error, "posix_spawn", path);
  }
  return Napi::Number::New(env, pid);
}

}  // namespace node_criu
