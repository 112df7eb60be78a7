// New pipes and stream socketpairs as raw fds, for substitutes handed to a restored process.
// Node has no API for either: its pipes are libuv handles whose fds cannot be passed to CRIU.
#include "fd_pairs.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "system_error.h"

namespace node_criu {
namespace {

Napi::Value PairToArray(Napi::Env env, const int fds[2]) {
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Napi::Number::New(env, fds[0]));
  pair.Set(1u, Napi::Number::New(env, fds[1]));
  return pair;
}

}  // namespace

Napi::Value PipePair(const Napi::CallbackInfo& info) {
  int fds[2];
  // Close-on-exec so that no other child inherits them; CRIU gets them through spawn's dup2.
  if (pipe2(fds, O_CLOEXEC) != 0) throw SystemError(info.Env(), errno, "pipe2");
  return PairToArray(info.Env(), fds);
}

Napi::Value StreamSocketPair(const Napi::CallbackInfo& info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw SystemError(info.Env(), errno, "socketpair");
  }
  return PairToArray(info.Env(), fds);
}

}  // namespace node_criu
