// Seqpacket: the JS object for our end of a SOCK_SEQPACKET socket; promise-based send/receive.
#include "seqpacket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <utility>

#include "seqpacket_io.h"
#include "system_error.h"

namespace node_criu {
namespace {

// Reads the fd argument of the constructor; TypeScript validates, this only refuses garbage.
int FdArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "Seqpacket: fd must be a number");
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::RangeError::New(info.Env(), "Seqpacket: fd must be >= 0");
  return fd;
}

std::vector<int> FdsArgument(const Napi::CallbackInfo& info, size_t index) {
  std::vector<int> fds;
  if (info.Length() <= index || info[index].IsUndefined()) return fds;
  if (!info[index].IsArray()) throw Napi::TypeError::New(info.Env(), "send: fds must be an array");
  Napi::Array array = info[index].As<Napi::Array>();
  if (array.Length() > kMaxFdsPerPacket) {
    throw Napi::RangeError::New(info.Env(), "send: at most 253 fds fit in one packet");
  }
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value value = array.Get(i);
    if (!value.IsNumber()) throw Napi::TypeError::New(info.Env(), "send: fds must be numbers");
    fds.push_back(value.As<Napi::Number>().Int32Value());
  }
  return fds;
}

Napi::Object MakePacket(Napi::Env env, Napi::Buffer<uint8_t> data, const std::vector<int>& fds) {
  Napi::Array fd_array = Napi::Array::New(env, fds.size());
  for (uint32_t i = 0; i < fds.size(); ++i) fd_array.Set(i, Napi::Number::New(env, fds[i]));
  Napi::Object packet = Napi::Object::New(env);
  packet.Set("data", data);
  packet.Set("fds", fd_array);
  return packet;
}

Napi::Promise Rejected(Napi::Env env, const Napi::Error& error) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(error.Value());
  return deferred.Promise();
}

}  // namespace

Napi::Function Seqpacket::DefineClass(Napi::Env env) {
  return ObjectWrap<Seqpacket>::DefineClass(env, "Seqpacket",
                                            {
                                                InstanceAccessor<&Seqpacket::GetFd>("fd"),
                                                InstanceMethod<&Seqpacket::Send>("send"),
                                                InstanceMethod<&Seqpacket::Receive>("receive"),
                                                InstanceMethod<&Seqpacket::Close>("close"),
                                            });
}

Seqpacket::Seqpacket(const Napi::CallbackInfo& info)
    : ObjectWrap<Seqpacket>(info), async_context_(info.Env(), "node-criu:Seqpacket") {
  Napi::Env env = info.Env();
  const int fd = FdArgument(info);
  // From here on the fd is ours: every failure closes it, so the caller never has to.
  if (int error = CheckSeqpacket(fd)) {
    close(fd);
    throw SystemError(env, error, "getsockopt",
                      error == EPROTOTYPE ? "not a SOCK_SEQPACKET socket" : "");
  }
  if (int rc = poll_.Open(env, fd, this)) {
    close(fd);
    throw SystemError(env, -rc, "uv_poll_init");
  }
  fd_ = fd;
}

Seqpacket::~Seqpacket() {
  // Only reached once nothing is pending (pending work pins the object), or at environment
  // teardown, where nothing may be settled any more.
  Release(Env(), false);
}

Napi::Value Seqpacket::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

Napi::Value Seqpacket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "send: data must be a Uint8Array");
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  std::vector<int> fds = FdsArgument(info, 1);
  if (closed_) return Rejected(env, SystemError(env, ECANCELED, "sendmsg", "the socket is closed"));

  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  if (sends_.empty()) {
    // Usually the kernel takes the packet at once; only a full send buffer makes us wait.
    const int error = SendPacket(fd_, data.Data(), data.ElementLength(), fds);
    if (error == 0) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    if (error != EAGAIN && error != EWOULDBLOCK) {
      deferred.Reject(SystemError(env, error, "sendmsg").Value());
      return deferred.Promise();
    }
  }
  PendingSend pending{
      deferred, std::vector<uint8_t>(data.Data(), data.Data() + data.ElementLength()), {}};
  for (int fd : fds) {
    // Our own reference to each fd, so the packet carries what the caller meant even if it
    // closes (or reuses the number of) its fds before the packet leaves.
    const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      const int error = errno;
      CloseFds(pending.fds);
      deferred.Reject(SystemError(env, error, "fcntl", "cannot hold an fd to send").Value());
      return deferred.Promise();
    }
    pending.fds.push_back(copy);
  }
  sends_.push_back(std::move(pending));
  UpdateInterest(env);
  return deferred.Promise();
}

Napi::Value Seqpacket::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  if (closed_) {
    deferred.Reject(SystemError(env, ECANCELED, "recvmsg", "the socket is closed").Value());
    return deferred.Promise();
  }
  // Concurrent receives queue up and get consecutive packets, in call order.
  if (!receives_.empty() || !TryReceive(env, deferred)) {
    receives_.push_back(deferred);
    UpdateInterest(env);
  }
  return deferred.Promise();
}

void Seqpacket::Close(const Napi::CallbackInfo& info) {
  Release(info.Env(), true);
}

bool Seqpacket::TryReceive(Napi::Env env, const Napi::Promise::Deferred& deferred) {
  if (eof_) {
    deferred.Resolve(env.Null());
    return true;
  }
  // A peer's reset (it closed with data of ours unread) is read past by the peek and the read:
  // what it sent before closing is still delivered (seqpacket_io.cc, Receive).
  const ssize_t size = PeekPacketSize(fd_);
  if (size < 0) {
    const int error = static_cast<int>(-size);
    if (error == EAGAIN || error == EWOULDBLOCK) return false;
    deferred.Reject(SystemError(env, error, "recvmsg").Value());
    return true;
  }
  // recvmsg returns 0 both for an empty packet and at end of stream. With the peer still there
  // it must be a packet. With the peer gone and no bytes queued behind it, it is the end: an
  // empty packet sent just before closing (with only empty packets after it) is read as the end
  // of stream too. CRIU never sends empty packets.
  if (size == 0 && PeerHasHungUp(fd_) && QueuedBytes(fd_) == 0) {
    eof_ = true;
    deferred.Resolve(env.Null());
    return true;
  }
  Napi::Buffer<uint8_t> data;
  try {
    // Exactly the packet's size, so a packet of any size is read whole in one recvmsg.
    data = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(size));
  } catch (const Napi::Error& error) {
    // No memory for it: drop this packet (it could never be read) instead of failing forever.
    DiscardPacket(fd_);
    deferred.Reject(error.Value());
    return true;
  }
  ReadResult result = ReadPacket(fd_, data.Data(), static_cast<size_t>(size));
  if (result.error == EAGAIN || result.error == EWOULDBLOCK) return false;
  if (result.error != 0) {
    deferred.Reject(
        SystemError(env, result.error, "recvmsg", result.detail ? result.detail : "").Value());
    return true;
  }
  try {
    deferred.Resolve(MakePacket(env, data, result.fds));
  } catch (...) {
    CloseFds(result.fds);  // never delivered, so nobody else would close them
    throw;
  }
  return true;
}

void Seqpacket::DrainReceives(Napi::Env env) {
  while (!receives_.empty() && !closed_) {
    if (!TryReceive(env, receives_.front())) break;
    receives_.pop_front();
  }
}

void Seqpacket::DrainSends(Napi::Env env) {
  while (!sends_.empty() && !closed_) {
    PendingSend& pending = sends_.front();
    const int error = SendPacket(fd_, pending.data.data(), pending.data.size(), pending.fds);
    if (error == EAGAIN || error == EWOULDBLOCK) break;
    // Sent or failed, the packet holds its own references now: drop our copies either way.
    CloseFds(pending.fds);
    if (error == 0) {
      pending.deferred.Resolve(env.Undefined());
    } else {
      pending.deferred.Reject(SystemError(env, error, "sendmsg").Value());
    }
    sends_.pop_front();
  }
}

void Seqpacket::FailAll(Napi::Env env, int errnum, const char* syscall) {
  std::deque<Napi::Promise::Deferred> receives = std::move(receives_);
  std::deque<PendingSend> sends = std::move(sends_);
  receives_.clear();
  sends_.clear();
  for (auto& deferred : receives) deferred.Reject(SystemError(env, errnum, syscall).Value());
  for (auto& pending : sends) {
    CloseFds(pending.fds);
    pending.deferred.Reject(SystemError(env, errnum, syscall).Value());
  }
}

void Seqpacket::OnPoll(int status, int /*events*/) {
  Napi::Env env = Env();
  Napi::HandleScope handle_scope(env);
  // Settling promises from a libuv callback needs a callback scope: leaving it runs the
  // microtask queue, so `await socket.receive()` resumes now rather than at some later tick.
  Napi::CallbackScope callback_scope(env, async_context_);
  try {
    if (status < 0) {
      // libuv reports any POLLERR as UV_EBADF. The socket's real error is in SO_ERROR; reading
      // it also clears it, so a level-triggered POLLERR cannot spin. Reads and writes below then
      // meet the actual condition (end of stream, EPIPE, ...).
      int so_error = 0;
      socklen_t length = sizeof so_error;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) {
        FailAll(env, errno, "getsockopt");
      }
    }
    // Both queues are tried whatever the event bits: a hangup is reported as readable/writable,
    // and a read or write that is not ready just returns EAGAIN.
    DrainSends(env);
    DrainReceives(env);
    UpdateInterest(env);
  } catch (const Napi::Error& error) {
    // Nothing in libuv can take a C++ exception; hand it to Node as an uncaught exception.
    napi_fatal_exception(env, error.Value());
  } catch (const std::exception& error) {
    napi_fatal_exception(env, Napi::Error::New(env, error.what()).Value());
  }
}

void Seqpacket::UpdateInterest(Napi::Env env) {
  if (closed_) return;
  const int events = (receives_.empty() ? 0 : UV_READABLE) | (sends_.empty() ? 0 : UV_WRITABLE);
  const int rc = poll_.Watch(events);
  if (rc != 0) {
    FailAll(env, -rc, "uv_poll_start");
    poll_.Watch(0);
    SetPinned(false);
    return;
  }
  SetPinned(events != 0);
}

void Seqpacket::SetPinned(bool on) {
  // While an operation is pending, its promise's settlement depends on this object: a strong
  // reference keeps it from being collected even if the caller dropped every other one.
  if (on == pinned_) return;
  pinned_ = on;
  if (on) {
    Ref();
  } else {
    Unref();
  }
}

void Seqpacket::Release(Napi::Env env, bool settle) {
  if (closed_) return;
  closed_ = true;
  poll_.Close();
  if (fd_ >= 0) {
    // Not retried on EINTR: on Linux the fd is released even then.
    close(fd_);
    fd_ = -1;
  }
  std::deque<Napi::Promise::Deferred> receives = std::move(receives_);
  std::deque<PendingSend> sends = std::move(sends_);
  receives_.clear();
  sends_.clear();
  for (auto& pending : sends) CloseFds(pending.fds);
  if (!settle) return;
  for (auto& deferred : receives) {
    deferred.Reject(SystemError(env, ECANCELED, "recvmsg", "the socket was closed").Value());
  }
  for (auto& pending : sends) {
    pending.deferred.Reject(
        SystemError(env, ECANCELED, "sendmsg", "the socket was closed").Value());
  }
  SetPinned(false);
}

void Seqpacket::OnEnvTeardown() {
  // No JavaScript now: just close. The unsettled promises die with the environment.
  Release(Env(), false);
}

}  // namespace node_criu
