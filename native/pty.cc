// A new pseudo-terminal pair, for a restored process whose terminal was outside its tree.
// Node has no pty API; this is the whole of what JavaScript cannot do (streams are TS).
#include "pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "system_error.h"

namespace node_criu {

Napi::Value OpenPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // O_NOCTTY: the pty must not become this process's controlling terminal.
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) throw SystemError(env, errno, "posix_openpt");
  char path[64];
  const char* failed = nullptr;
  int error = 0;
  if (grantpt(master) != 0) {
    failed = "grantpt";
    error = errno;
  } else if (unlockpt(master) != 0) {
    failed = "unlockpt";
    error = errno;
  } else if ((error = ptsname_r(master, path, sizeof path)) != 0) {
    failed = "ptsname_r";  // returns its error instead of setting errno
  }
  if (failed != nullptr) {
    close(master);
    throw SystemError(env, error, failed);
  }
  const int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    const int error = errno;
    close(master);
    throw SystemError(env, error, "open");
  }
  Napi::Object pty = Napi::Object::New(env);
  pty.Set("master", Napi::Number::New(env, master));
  pty.Set("slave", Napi::Number::New(env, slave));
  pty.Set("path", Napi::String::New(env, path));
  return pty;
}

}  // namespace node_criu
