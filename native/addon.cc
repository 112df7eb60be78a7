// The module's per-environment instance (Napi::Addon): its exports and the state they share.
#include "addon.h"

#include <unistd.h>

#include "dont_fork_buffer.h"
#include "fd_flags.h"
#include "fd_pairs.h"
#include "pid_watcher.h"
#include "ptrace_inject.h"
#include "pty.h"
#include "proc_fds.h"
#include "read_files.h"
#include "seqpacket.h"
#include "seqpacket_io.h"
#include "spawn_fds.h"
#include "subreaper.h"
#include "sysv_ipc.h"
#include "system_error.h"

namespace node_criu {

NodeCriuAddon::NodeCriuAddon(Napi::Env env, Napi::Object exports) {
  Napi::Function seqpacket = Seqpacket::DefineClass(env);
  seqpacket_class_ = Napi::Persistent(seqpacket);
  DefineAddon(exports,
              {
                  InstanceValue("Seqpacket", seqpacket, napi_enumerable),
                  InstanceValue("PidWatcher", PidWatcher::DefineClass(env), napi_enumerable),
                  InstanceMethod<&NodeCriuAddon::SeqpacketPair>("seqpacketPair", napi_enumerable),
                  InstanceValue("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"),
                                napi_enumerable),
                  InstanceValue("getCloexec", Napi::Function::New(env, GetCloexec, "getCloexec"),
                                napi_enumerable),
                  InstanceValue("dontForkBuffer", Napi::Function::New(env, DontForkBuffer, "dontForkBuffer"),
                                napi_enumerable),
                  InstanceValue("readWholeFiles", Napi::Function::New(env, ReadWholeFiles, "readWholeFiles"),
                                napi_enumerable),
                  InstanceValue("readProcFds", Napi::Function::New(env, ReadProcFds, "readProcFds"),
                                napi_enumerable),
                  InstanceValue("pipePair", Napi::Function::New(env, PipePair, "pipePair"),
                                napi_enumerable),
                  InstanceValue("streamSocketPair",
                                Napi::Function::New(env, StreamSocketPair, "streamSocketPair"),
                                napi_enumerable),
                  InstanceValue("spawnWithFds", Napi::Function::New(env, SpawnWithFds, "spawnWithFds"),
                                napi_enumerable),
                  InstanceValue("openPty", Napi::Function::New(env, OpenPty, "openPty"),
                                napi_enumerable),
                  InstanceValue("injectSyscalls",
                                Napi::Function::New(env, InjectSyscallsJs, "injectSyscalls"),
                                napi_enumerable),
                  InstanceValue("setChildSubreaper",
                                Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"),
                                napi_enumerable),
                  InstanceValue("shmCopy", Napi::Function::New(env, ShmCopy, "shmCopy"), napi_enumerable),
                  InstanceValue("openInIpcNamespace",
                                Napi::Function::New(env, OpenInIpcNamespace, "openInIpcNamespace"), napi_enumerable),
                  InstanceValue("ipcCreate", Napi::Function::New(env, IpcCreate, "ipcCreate"), napi_enumerable),
                  InstanceValue("ipcRemove", Napi::Function::New(env, IpcRemove, "ipcRemove"), napi_enumerable),
                  InstanceValue("ipcSetOwner", Napi::Function::New(env, IpcSetOwner, "ipcSetOwner"), napi_enumerable),
                  InstanceValue("semGetAll", Napi::Function::New(env, SemGetAll, "semGetAll"), napi_enumerable),
                  InstanceValue("semSetAll", Napi::Function::New(env, SemSetAll, "semSetAll"), napi_enumerable),
                  InstanceValue("msgCopy", Napi::Function::New(env, MsgCopy, "msgCopy"), napi_enumerable),
                  InstanceValue("msgQueueBytes", Napi::Function::New(env, MsgQueueBytes, "msgQueueBytes"), napi_enumerable),
                  InstanceValue("msgSend", Napi::Function::New(env, MsgSend, "msgSend"), napi_enumerable),
              });
}

Napi::Value NodeCriuAddon::SeqpacketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (int error = OpenSeqpacketPair(fds)) throw SystemError(env, error, "socketpair");
  Napi::Object ours;
  try {
    // The constructor owns fds[0] from the call on, and closes it if it throws.
    ours = seqpacket_class_.New({Napi::Number::New(env, fds[0])});
  } catch (...) {
    close(fds[1]);
    throw;
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, ours);
  pair.Set(1u, Napi::Number::New(env, fds[1]));
  return pair;
}

}  // namespace node_criu

// The macro pastes the class name into an identifier, so it needs an unqualified name.
using NodeCriuAddon = node_criu::NodeCriuAddon;
NODE_API_ADDON(NodeCriuAddon)
