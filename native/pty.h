// A new pseudo-terminal pair, for a restored process whose terminal was outside its tree.
#pragma once

#include <napi.h>

namespace node_criu {

// openPty(): { master: number, slave: number, path: string }, both close-on-exec.
Napi::Value OpenPty(const Napi::CallbackInfo& info);

}  // namespace node_criu
