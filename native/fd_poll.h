// One uv_poll_t on the environment's own loop, watching only while an operation waits on its fd.
#pragma once

#include <node_api.h>
#include <uv.h>

namespace node_criu {

// What an FdPoll reports to the object that owns it.
class FdPollOwner {
 public:
  // status is 0 or a negative UV_E* code; events are UV_READABLE / UV_WRITABLE bits.
  virtual void OnPoll(int status, int events) = 0;
  // The Node environment (main thread or Worker) is being torn down: release everything now and
  // call FdPoll::Close(). No JavaScript may run, so nothing can be settled.
  virtual void OnEnvTeardown() = 0;

 protected:
  ~FdPollOwner() = default;
};

class FdPoll {
 public:
  FdPoll() = default;
  FdPoll(const FdPoll&) = delete;
  FdPoll& operator=(const FdPoll&) = delete;
  ~FdPoll() { Close(); }

  // Creates the handle on env's loop (napi_get_uv_event_loop, never uv_default_loop(), so that a
  // Worker's sockets live on the Worker's loop). Returns 0 or a negative UV_E* code.
  // libuv switches fd to O_NONBLOCK here.
  int Open(napi_env env, int fd, FdPollOwner* owner);

  // Watches exactly `events`; 0 stops the poll, so an idle handle does not keep the loop alive.
  // Returns 0 or a negative UV_E* code.
  int Watch(int events);

  // uv_ref/uv_unref: whether an active poll keeps the loop alive.
  void SetRef(bool on);

  // Stops watching and starts uv_close(). Idempotent. The handle's memory is freed by the close
  // callback, which never touches the owner, so the owner may be deleted right after.
  void Close();

  bool IsOpen() const { return box_ != nullptr; }

 private:
  struct Box;
  static void OnPollCallback(uv_poll_t* handle, int status, int events);
  static void OnCloseCallback(uv_handle_t* handle);
  static void OnAsyncCleanup(napi_async_cleanup_hook_handle hook, void* self);

  Box* box_ = nullptr;
  FdPollOwner* owner_ = nullptr;
  int events_ = 0;
  bool tearing_down_ = false;
};

}  // namespace node_criu
