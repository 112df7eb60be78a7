// spawnWithFds: starts a program through posix_spawn, with chosen fds at chosen numbers.
#pragma once

#include <napi.h>

namespace node_criu {

// spawnWithFds(path: string, args: string[], fds: number[]): Promise<number> (the pid)
//   args includes argv[0]. fds[i] becomes fd i in the child (-1: /dev/null); every other fd is
//   closed in the child (glibc >= 2.34's closefrom action), so the child gets only these.
//   Signal mask empty and every disposition default in the child, as child_process does.
// Why not child_process.spawn: libuv forks, which copies the page tables of the whole Node
// process: 11-14 ms per spawn on the 2-core VM this was measured on, against ~1 ms for glibc's
// posix_spawn (clone with CLONE_VM | CLONE_VFORK: nothing is copied). CRIU is spawned once per
// checkpoint and per restore, so that was a sixth of a small process's checkpoint. The
// posix_spawn itself runs on a pool thread (its caller waits for the child's exec), the fd copies
// on the calling one. Rejects with a system error (ENOENT, EACCES, ...) when the program cannot be
// executed; throws one for an fd that cannot be copied. The caller watches
// and reaps the child with PidWatcher (libuv reaps only the children it spawned).
Napi::Value SpawnWithFds(const Napi::CallbackInfo& info);

}  // namespace node_criu
