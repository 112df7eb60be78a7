// injectSyscalls(): the JS face of syscall_inject, run off the event loop.
#pragma once

#include <napi.h>

namespace node_criu {

// injectSyscalls(pid, calls: { nr: number, args: bigint[] }[], finalState: 0|1|2, stopTimeoutMs)
//   -> Promise<{ results: bigint[], threads: number, error?: { errno, code, syscall } }>
Napi::Value InjectSyscallsJs(const Napi::CallbackInfo& info);

}  // namespace node_criu
