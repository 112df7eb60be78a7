// Reading a checkpoint's small images one system call at a time from JavaScript cost ~25 us a
// file (open, stat, two reads, close, each through Node's fs), and the hundreds of images of a
// tree are read right after CRIU's answer, on the caller's time. Here each costs its system calls.
#include "read_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "scoped_fd.h"
#include "system_error.h"

namespace node_criu {
namespace {

// Reads from the start of `fd` into `into`, up to `length` bytes, until a read comes back short
// (a regular file's read is short only at its end) or empty; -1 with errno on failure.
ssize_t ReadFromStart(int fd, uint8_t* into, size_t length) {
  size_t got = 0;
  while (got < length) {
    const size_t asked = length - got;
    const ssize_t n = pread(fd, into + got, asked, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    got += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < asked) break;
  }
  return static_cast<ssize_t>(got);
}

// The name at `index` of `names`: a file of the dir, never a path through it. Taken one at a time,
// as the files are read: a call reads a few of a long list, and the next call gets the rest.
std::string NameAt(const Napi::Env& env, const Napi::Array& names, uint32_t index) {
  Napi::Value value = names.Get(index);
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
  if (name.empty() || name.find('/') != std::string::npos) {
    Napi::TypeError error =
        Napi::TypeError::New(env, "names must be file names (strings without '/')");
    error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
    throw error;
  }
  return name;
}

}  // namespace

Napi::Value ReadWholeFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsBuffer()) {
    throw Napi::TypeError::New(env, "readWholeFiles(dir: string, names: string[], buffer: Buffer)");
  }
  const std::string dir = info[0].As<Napi::String>().Utf8Value();
  const Napi::Array names = info[1].As<Napi::Array>();
  Napi::Buffer<uint8_t> buffer = info[2].As<Napi::Buffer<uint8_t>>();
  uint8_t* const data = buffer.Data();
  const size_t capacity = buffer.Length();

  ScopedFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) throw SystemError(env, errno, "open", dir);
  Napi::Array result = Napi::Array::New(env);
  uint32_t slot = 0;
  size_t used = 0;
  for (uint32_t index = 0; index < names.Length(); ++index) {
    const std::string name = NameAt(env, names, index);
    const std::string path = dir + "/" + name;
    // O_NOFOLLOW: an image is the file itself, never a link to something elsewhere.
    ScopedFd fd(openat(dir_fd.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
    if (fd.get() < 0) throw SystemError(env, errno, "open", path);
    // statx, as libuv does for Node's fs.fstat: the same device number as a stamp Node takes.
    struct statx st;
    const unsigned int wanted = STATX_TYPE | STATX_INO | STATX_SIZE | STATX_CTIME;
    if (statx(fd.get(), "", AT_EMPTY_PATH, wanted, &st) != 0) {
      throw SystemError(env, errno, "statx", path);
    }
    if (!S_ISREG(st.stx_mode)) {
      throw SystemError(env, EINVAL, "read", path + " is not a regular file");
    }
    const size_t room = capacity - used;
    if (st.stx_size > room) break;
    // A byte more than its size is asked for (one read, short at the end), so that a file still
    // growing is not taken whole; where the buffer has no room for it, a read of a byte more.
    const bool room_for_more = st.stx_size < room;
    const ssize_t got = ReadFromStart(fd.get(), data + used, st.stx_size + (room_for_more ? 1 : 0));
    if (got < 0) throw SystemError(env, errno, "read", path);
    if (static_cast<uint64_t>(got) != st.stx_size) break;
    if (!room_for_more) {
      uint8_t probe;
      const ssize_t more = pread(fd.get(), &probe, 1, static_cast<off_t>(got));
      if (more < 0) throw SystemError(env, errno, "read", path);
      if (more > 0) break;
    }
    used += static_cast<size_t>(got);
    const uint64_t ctime_ns =
        static_cast<uint64_t>(st.stx_ctime.tv_sec) * 1000000000u + st.stx_ctime.tv_nsec;
    result.Set(slot++, Napi::Number::New(env, static_cast<double>(got)));
    result.Set(slot++, Napi::String::New(env, std::to_string(static_cast<uint64_t>(
                                                  makedev(st.stx_dev_major, st.stx_dev_minor)))));
    result.Set(slot++, Napi::String::New(env, std::to_string(st.stx_ino)));
    result.Set(slot++, Napi::String::New(env, std::to_string(ctime_ns)));
  }
  return result;
}

}  // namespace node_criu
