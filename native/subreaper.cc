// setChildSubreaper(on): makes this process inherit its descendants' orphans instead of init.
#include "subreaper.h"

#include <sys/prctl.h>

#include <cerrno>

#include "system_error.h"

namespace node_criu {

Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(env, "on must be a boolean");
  }
  // A restored tree whose root exits, or a daemonizing process, leaves orphans. As a subreaper we
  // get them (and can reap them with a PidWatcher) rather than init, which would hide them.
  const unsigned long on = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  if (prctl(PR_SET_CHILD_SUBREAPER, on, 0UL, 0UL, 0UL) != 0) throw SystemError(env, errno, "prctl");
  return env.Undefined();
}

}  // namespace node_criu
