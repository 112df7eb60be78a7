// New pipes and stream socketpairs as raw fds, for substitutes handed to a restored process.
#pragma once

#include <napi.h>

namespace node_criu {

// pipePair(): [readEnd: number, writeEnd: number], both close-on-exec.
Napi::Value PipePair(const Napi::CallbackInfo& info);
// streamSocketPair(): [number, number], AF_UNIX SOCK_STREAM, both close-on-exec.
Napi::Value StreamSocketPair(const Napi::CallbackInfo& info);

}  // namespace node_criu
