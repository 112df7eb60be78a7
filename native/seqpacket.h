// Seqpacket: the JS object for our end of a SOCK_SEQPACKET socket; promise-based send/receive.
#pragma once

#include <napi.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "fd_poll.h"

namespace node_criu {

// new Seqpacket(fd) takes ownership of fd (a SOCK_SEQPACKET socket; closed on failure too).
//   fd: number (-1 once closed)
//   send(data: Uint8Array, fds: number[]): Promise<void>
//   receive(): Promise<{ data: Buffer, fds: number[] } | null>
//   close(): void
// Never blocks: every syscall is non-blocking, and waiting is a uv_poll on the environment's loop
// that is active only while a send or receive is pending.
class Seqpacket : public Napi::ObjectWrap<Seqpacket>, private FdPollOwner {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  explicit Seqpacket(const Napi::CallbackInfo& info);
  ~Seqpacket() override;

 private:
  // A send that met a full send buffer: it owns copies of the bytes and of the fds, so the caller
  // may reuse its buffer and close its fds as soon as send() returns.
  struct PendingSend {
    Napi::Promise::Deferred deferred;
    std::vector<uint8_t> data;
    std::vector<int> fds;
  };

  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Receive(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void OnPoll(int status, int events) override;
  void OnEnvTeardown() override;

  // Settles `deferred` with the next packet, null at end of stream, or an error; returns false
  // (leaving it pending) when nothing has arrived yet.
  bool TryReceive(Napi::Env env, const Napi::Promise::Deferred& deferred);
  void DrainReceives(Napi::Env env);
  void DrainSends(Napi::Env env);
  // Rejects everything pending with errnum; used when the socket itself has failed.
  void FailAll(Napi::Env env, int errnum, const char* syscall);
  // Watches for what the queues wait on; holds the JS object alive while anything is pending.
  void UpdateInterest(Napi::Env env);
  void SetPinned(bool on);
  // Closes the fd and the poll. With settle, rejects pending operations with ECANCELED.
  void Release(Napi::Env env, bool settle);

  int fd_ = -1;
  bool closed_ = false;
  bool eof_ = false;
  bool pinned_ = false;
  FdPoll poll_;
  Napi::AsyncContext async_context_;
  std::deque<Napi::Promise::Deferred> receives_;
  std::deque<PendingSend> sends_;
};

}  // namespace node_criu
