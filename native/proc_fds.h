// One process's fd table read from /proc in one call (a checkpoint reads it while CRIU waits).
#pragma once

#include <napi.h>

namespace node_criu {

// readProcFds(pid: number): (number | string)[]
// The fds of `pid` in ascending order, ten values each: the fd, its /proc/PID/fd link's target,
// the text of its /proc/PID/fdinfo entry, then the stat of what the fd reaches (inode, uid, gid,
// mode, size, rdev, dev; every one -1 where that stat failed). An fd closed while it was read is
// left out, and so is every fd of a process that is gone or cannot be read (an empty result).
Napi::Value ReadProcFds(const Napi::CallbackInfo& info);

}  // namespace node_criu
