// The one constructor of the errors the addon throws or rejects with: Node-style system errors.
#include "system_error.h"

#include "errno_name.h"

namespace node_criu {

Napi::Error SystemError(Napi::Env env, int errnum, const char* syscall, const std::string& detail) {
  const std::string code = ErrnoName(errnum);
  std::string message = std::string(syscall) + " " + code + " (" + ErrnoDescription(errnum) + ")";
  if (!detail.empty()) message += ": " + detail;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -errnum));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace node_criu
