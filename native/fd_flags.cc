// Close-on-exec control for JavaScript: setCloexec(fd, on) and getCloexec(fd).
#include "fd_flags.h"

#include <fcntl.h>

#include <cerrno>

#include "system_error.h"

namespace node_criu {
namespace {

int FdArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "fd must be a number");
  }
  return info[0].As<Napi::Number>().Int32Value();
}

}  // namespace

Napi::Value SetCloexec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = FdArgument(info);
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    throw Napi::TypeError::New(env, "on must be a boolean");
  }
  const bool on = info[1].As<Napi::Boolean>().Value();
  // Read-modify-write: FD_CLOEXEC is the only fd flag today, but not necessarily forever.
  const int flags = fcntl(fd, F_GETFD);
  if (flags < 0) throw SystemError(env, errno, "fcntl");
  const int wanted = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (wanted != flags && fcntl(fd, F_SETFD, wanted) != 0) throw SystemError(env, errno, "fcntl");
  return env.Undefined();
}

Napi::Value GetCloexec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int flags = fcntl(FdArgument(info), F_GETFD);
  if (flags < 0) throw SystemError(env, errno, "fcntl");
  return Napi::Boolean::New(env, (flags & FD_CLOEXEC) != 0);
}

}  // namespace node_criu
