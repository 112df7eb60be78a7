// PidWatcher: waits for one process's exit through a pidfd and reaps it when it is our child.
#pragma once

#include <napi.h>
#include <sys/types.h>

#include "fd_poll.h"

namespace node_criu {

// new PidWatcher(pid) opens a pidfd (throws ESRCH if there is no such process) and polls it.
//   pid: number
//   exited: Promise<{ code: number | null, signal: number | null, reaped: boolean }>
//   kill(signal: number): boolean    false once the process is gone (ESRCH)
//   ref(), unref(): whether the pending wait keeps the event loop alive (ref'd at first)
//   close(): stops watching; a still pending `exited` rejects with ECANCELED
// libuv only reaps the children it spawned. A process CRIU restores becomes our child through
// CLONE_PARENT (and orphans come to us when we are a child subreaper), so someone must reap it:
// waitid(P_PIDFD) does, once the pidfd turns readable.
class PidWatcher : public Napi::ObjectWrap<PidWatcher>, private FdPollOwner {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  explicit PidWatcher(const Napi::CallbackInfo& info);
  ~PidWatcher() override;

 private:
  Napi::Value GetPid(const Napi::CallbackInfo& info);
  Napi::Value Kill(const Napi::CallbackInfo& info);
  void RefWait(const Napi::CallbackInfo& info);
  void UnrefWait(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void OnPoll(int status, int events) override;
  void OnEnvTeardown() override;

  // Stops polling (the pidfd stays open for kill()) and settles `exited` once.
  void Settle(Napi::Env env, Napi::Value result, bool rejected);
  void SetPinned(bool on);
  void Release(Napi::Env env, bool settle);

  pid_t pid_ = 0;
  int pidfd_ = -1;
  bool settled_ = false;
  bool closed_ = false;
  bool pinned_ = false;
  FdPoll poll_;
  Napi::AsyncContext async_context_;
  Napi::Promise::Deferred exited_;
};

}  // namespace node_criu
