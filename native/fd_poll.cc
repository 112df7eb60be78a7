// One uv_poll_t on the environment's own loop, watching only while an operation waits on its fd.
#include "fd_poll.h"

namespace node_criu {

// Lives on the heap until libuv's close callback, which can come after the FdPoll is gone.
struct FdPoll::Box {
  uv_poll_t handle;
  // Set while the environment's teardown waits for this handle: Node keeps running the loop
  // until napi_remove_async_cleanup_hook(), which the close callback calls. Without that wait a
  // Worker's loop could be closed with our handle still open, which aborts the process.
  napi_async_cleanup_hook_handle cleanup = nullptr;
};

int FdPoll::Open(napi_env env, int fd, FdPollOwner* owner) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return UV_EINVAL;
  Box* box = new Box();
  int rc = uv_poll_init(loop, &box->handle, fd);
  if (rc != 0) {
    // uv_poll_init registers nothing with the loop when it fails, so plain delete is right.
    delete box;
    return rc;
  }
  if (napi_add_async_cleanup_hook(env, OnAsyncCleanup, this, &box->cleanup) != napi_ok) {
    box->cleanup = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), OnCloseCallback);
    return UV_ENOMEM;
  }
  box->handle.data = this;
  box_ = box;
  owner_ = owner;
  events_ = 0;
  return 0;
}

int FdPoll::Watch(int events) {
  if (box_ == nullptr) return UV_EBADF;
  if (events == events_) return 0;
  int rc = events == 0 ? uv_poll_stop(&box_->handle)
                       : uv_poll_start(&box_->handle, events, OnPollCallback);
  if (rc == 0) events_ = events;
  return rc;
}

void FdPoll::SetRef(bool on) {
  if (box_ == nullptr) return;
  auto* handle = reinterpret_cast<uv_handle_t*>(&box_->handle);
  if (on) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void FdPoll::Close() {
  if (box_ == nullptr) return;
  Box* box = box_;
  box_ = nullptr;
  events_ = 0;
  box->handle.data = nullptr;
  if (!tearing_down_ && box->cleanup != nullptr) {
    // A normal close: the environment no longer needs to wait for this handle.
    napi_remove_async_cleanup_hook(box->cleanup);
    box->cleanup = nullptr;
  }
  // uv_close stops the poll (and drops the fd from epoll) at once, so the owner may close the fd
  // right after this returns.
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), OnCloseCallback);
}

void FdPoll::OnPollCallback(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<FdPoll*>(handle->data);
  if (self == nullptr) return;
  // On POLLERR libuv stops the handle itself before reporting UV_EBADF; forget what we asked for
  // so the owner's next Watch() really restarts it.
  if (status < 0) self->events_ = 0;
  self->owner_->OnPoll(status, events);
}

void FdPoll::OnCloseCallback(uv_handle_t* handle) {
  Box* box = reinterpret_cast<Box*>(handle);  // handle is Box's first member
  if (box->cleanup != nullptr) napi_remove_async_cleanup_hook(box->cleanup);
  delete box;
}

void FdPoll::OnAsyncCleanup(napi_async_cleanup_hook_handle /*hook*/, void* arg) {
  auto* self = static_cast<FdPoll*>(arg);
  self->tearing_down_ = true;
  // The owner closes its fd and calls Close(); the close callback then tells Node we are done.
  self->owner_->OnEnvTeardown();
  self->Close();
}

}  // namespace node_criu
