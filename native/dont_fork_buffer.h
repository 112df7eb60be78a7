// Buffers that a fork of this process leaves alone (MADV_DONTFORK), for reads reused across calls.
#pragma once

#include <napi.h>

namespace node_criu {

// dontForkBuffer(size: number): Buffer — `size` bytes of fresh anonymous memory, populated, that a
// child forked from this process does not share.
Napi::Value DontForkBuffer(const Napi::CallbackInfo& info);

}  // namespace node_criu
