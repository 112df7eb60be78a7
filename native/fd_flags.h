// Close-on-exec control for JavaScript: setCloexec(fd, on) and getCloexec(fd).
#pragma once

#include <napi.h>

namespace node_criu {

// setCloexec(fd: number, on: boolean): void
Napi::Value SetCloexec(const Napi::CallbackInfo& info);
// getCloexec(fd: number): boolean
Napi::Value GetCloexec(const Napi::CallbackInfo& info);

}  // namespace node_criu
