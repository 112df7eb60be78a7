// setChildSubreaper(on): makes this process inherit its descendants' orphans instead of init.
#pragma once

#include <napi.h>

namespace node_criu {

// setChildSubreaper(on: boolean): void — prctl(PR_SET_CHILD_SUBREAPER). Process-wide (it holds
// for every thread, Workers included), as the kernel keeps it per process.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info);

}  // namespace node_criu
