// PidWatcher: waits for one process's exit through a pidfd and reaps it when it is our child.
#include "pid_watcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "pidfd.h"
#include "system_error.h"

namespace node_criu {
namespace {

Napi::Object ExitResult(Napi::Env env, Napi::Value code, Napi::Value signal, bool reaped) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("code", code);
  result.Set("signal", signal);
  result.Set("reaped", Napi::Boolean::New(env, reaped));
  return result;
}

}  // namespace

Napi::Function PidWatcher::DefineClass(Napi::Env env) {
  return ObjectWrap<PidWatcher>::DefineClass(env, "PidWatcher",
                                             {
                                                 InstanceAccessor<&PidWatcher::GetPid>("pid"),
                                                 InstanceMethod<&PidWatcher::Kill>("kill"),
                                                 InstanceMethod<&PidWatcher::RefWait>("ref"),
                                                 InstanceMethod<&PidWatcher::UnrefWait>("unref"),
                                                 InstanceMethod<&PidWatcher::Close>("close"),
                                             });
}

PidWatcher::PidWatcher(const Napi::CallbackInfo& info)
    : ObjectWrap<PidWatcher>(info),
      async_context_(info.Env(), "node-criu:PidWatcher"),
      exited_(Napi::Promise::Deferred::New(info.Env())) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "PidWatcher: pid must be a number");
  }
  const int pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) throw Napi::RangeError::New(env, "PidWatcher: pid must be > 0");
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) throw SystemError(env, errno, "pidfd_open");
  if (int rc = poll_.Open(env, pidfd, this)) {
    close(pidfd);
    throw SystemError(env, -rc, "uv_poll_init");
  }
  if (int rc = poll_.Watch(UV_READABLE)) {
    poll_.Close();
    close(pidfd);
    throw SystemError(env, -rc, "uv_poll_start");
  }
  pid_ = pid;
  pidfd_ = pidfd;
  // A process that already exited makes the pidfd readable at once, so nothing is missed
  // between pidfd_open and the first poll.
  info.This().As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Value("exited", exited_.Promise(), napi_enumerable));
  SetPinned(true);
}

PidWatcher::~PidWatcher() {
  Release(Env(), false);
}

Napi::Value PidWatcher::GetPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), pid_);
}

Napi::Value PidWatcher::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "kill: signal must be a number");
  }
  const int signal = info[0].As<Napi::Number>().Int32Value();
  if (closed_) throw SystemError(env, EBADF, "pidfd_send_signal", "the watcher is closed");
  // Exited and reaped: nothing to signal (and the pidfd is closed already).
  if (settled_ || pidfd_ < 0) return Napi::Boolean::New(env, false);
  // Through the pidfd, never kill(pid): once we reaped the process its pid may already belong to
  // another one, while the pidfd still means the dead process and answers ESRCH.
  if (PidfdSendSignal(pidfd_, signal) == 0) return Napi::Boolean::New(env, true);
  const int error = errno;
  if (error == ESRCH) return Napi::Boolean::New(env, false);
  throw SystemError(env, error, "pidfd_send_signal");
}

void PidWatcher::RefWait(const Napi::CallbackInfo& /*info*/) {
  poll_.SetRef(true);
}

void PidWatcher::UnrefWait(const Napi::CallbackInfo& /*info*/) {
  poll_.SetRef(false);
}

void PidWatcher::Close(const Napi::CallbackInfo& info) {
  Release(info.Env(), true);
}

void PidWatcher::OnPoll(int status, int /*events*/) {
  Napi::Env env = Env();
  Napi::HandleScope handle_scope(env);
  // Leaving this scope runs the microtasks, so awaiting `exited` resumes right away.
  Napi::CallbackScope callback_scope(env, async_context_);
  try {
    siginfo_t info;
    const int error = PidfdWaitExited(pidfd_, &info);
    if (error == 0 && info.si_pid != 0) {
      // Reaped: si_status is the exit code for CLD_EXITED, the signal for CLD_KILLED/DUMPED.
      const bool exited = info.si_code == CLD_EXITED;
      Napi::Value status_value = Napi::Number::New(env, info.si_status);
      Settle(env,
             ExitResult(env, exited ? status_value : env.Null(), exited ? env.Null() : status_value,
                        true),
             false);
      return;
    }
    if (error == ECHILD && PidfdHasExited(pidfd_)) {
      // Exited, but not our child (or someone else reaped it first): no status to be had.
      Settle(env, ExitResult(env, env.Null(), env.Null(), false), false);
      return;
    }
    if (error != 0 && error != EAGAIN && error != ECHILD) {
      Settle(env, SystemError(env, error, "waitid").Value(), true);
      return;
    }
    // Not exited yet: a spurious wakeup, unless libuv gave up on the handle.
    if (status < 0) Settle(env, SystemError(env, -status, "uv_poll").Value(), true);
  } catch (const Napi::Error& error) {
    // Nothing in libuv can take a C++ exception; hand it to Node as an uncaught exception.
    napi_fatal_exception(env, error.Value());
  } catch (const std::exception& error) {
    napi_fatal_exception(env, Napi::Error::New(env, error.what()).Value());
  }
}

void PidWatcher::Settle(Napi::Env /*env*/, Napi::Value result, bool rejected) {
  if (settled_) return;
  settled_ = true;
  poll_.Close();
  // Done with the pidfd: a service restoring many times must not keep one per restore until GC.
  if (pidfd_ >= 0) {
    close(pidfd_);
    pidfd_ = -1;
  }
  SetPinned(false);
  if (rejected) {
    exited_.Reject(result);
  } else {
    exited_.Resolve(result);
  }
}

void PidWatcher::SetPinned(bool on) {
  // While waiting, `exited` depends on this object: keep it alive even if the caller drops it.
  if (on == pinned_) return;
  pinned_ = on;
  if (on) {
    Ref();
  } else {
    Unref();
  }
}

void PidWatcher::Release(Napi::Env env, bool settle) {
  if (closed_) return;
  closed_ = true;
  poll_.Close();
  if (pidfd_ >= 0) {
    close(pidfd_);
    pidfd_ = -1;
  }
  if (!settle) return;
  if (!settled_) {
    Settle(env, SystemError(env, ECANCELED, "waitid", "the watcher was closed").Value(), true);
  }
  SetPinned(false);
}

void PidWatcher::OnEnvTeardown() {
  // No JavaScript now: close the pidfd; the pending promise dies with the environment.
  Release(Env(), false);
}

}  // namespace node_criu
