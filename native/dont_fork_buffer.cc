// Buffers that a fork of this process leaves alone (MADV_DONTFORK). Every fork (child_process
// forks through libuv) write-protects the parent's memory until the child execs, and the parent's
// next write to each page of a kept read buffer then faults: on this VM ~13 us a page, 0.35 ms
// for the 27 pages a 110 KiB image is read into, more than hashing it. Memory a child never
// shares is never write-protected.
#include "dont_fork_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

#include "system_error.h"

namespace node_criu {

Napi::Value DontForkBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "size must be a number");
  }
  const int64_t requested = info[0].As<Napi::Number>().Int64Value();
  // Read buffers are at most a few MiB; anything else is a caller's mistake.
  if (requested <= 0 || requested > (int64_t{1} << 30)) {
    throw Napi::RangeError::New(env, "size must be between 1 byte and 1 GiB");
  }
  const size_t size = static_cast<size_t>(requested);
  // MAP_POPULATE: the pages are faulted in here, once, not at the first read into them.
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (memory == MAP_FAILED) throw SystemError(env, errno, "mmap");
  if (madvise(memory, size, MADV_DONTFORK) != 0) {
    const int error = errno;
    munmap(memory, size);
    throw SystemError(env, error, "madvise");
  }
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(memory), size,
                                    [size](Napi::Env, uint8_t* data) { munmap(data, size); });
}

}  // namespace node_criu
