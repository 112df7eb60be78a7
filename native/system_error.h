// The one constructor of the errors the addon throws or rejects with: Node-style system errors.
#pragma once

#include <napi.h>

#include <string>

namespace node_criu {

// An Error shaped like Node's own system errors, e.g. for SystemError(env, EPIPE, "sendmsg"):
//   message "sendmsg EPIPE (Broken pipe)", code "EPIPE", errno -32, syscall "sendmsg".
// errno is negative because Node's errors carry it that way (fs, net, child_process).
// A non-empty detail is appended to the message after ": ".
Napi::Error SystemError(Napi::Env env, int errnum, const char* syscall,
                        const std::string& detail = std::string());

}  // namespace node_criu
