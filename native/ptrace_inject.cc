// injectSyscalls(): the JS face of syscall_inject, run off the event loop.
#include "ptrace_inject.h"

#include "errno_name.h"
#include "syscall_inject.h"

namespace node_criu {
namespace {

// One worker per call: seizing, stepping and detaching happen on one pool thread, in a helper
// that lives for the call only, so no ptrace state outlives it. It takes milliseconds, bounded
// by the stop timeout when a thread cannot stop (uninterruptible sleep).
class InjectWorker : public Napi::AsyncWorker {
 public:
  InjectWorker(Napi::Env env, InjectPlan plan)
      : Napi::AsyncWorker(env, "node-criu:injectSyscalls"),
        plan_(std::move(plan)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { outcome_ = InjectSyscalls(plan_); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    Napi::Array results = Napi::Array::New(env, outcome_.results.size());
    for (size_t i = 0; i < outcome_.results.size(); i++) {
      results.Set(static_cast<uint32_t>(i),
                  Napi::BigInt::New(env, static_cast<int64_t>(outcome_.results[i])));
    }
    result.Set("results", results);
    result.Set("threads", Napi::Number::New(env, outcome_.threads));
    if (outcome_.error != 0) {
      Napi::Object error = Napi::Object::New(env);
      error.Set("errno", Napi::Number::New(env, outcome_.error));
      error.Set("code", Napi::String::New(env, ErrnoName(outcome_.error)));
      error.Set("syscall", Napi::String::New(env, outcome_.step));
      result.Set("error", error);
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  InjectPlan plan_;
  InjectOutcome outcome_;
  Napi::Promise::Deferred deferred_;
};

unsigned long ArgValue(Napi::Env env, Napi::Value value) {
  if (value.IsBigInt()) {
    bool lossless;
    return static_cast<unsigned long>(value.As<Napi::BigInt>().Int64Value(&lossless));
  }
  if (value.IsNumber()) return static_cast<unsigned long>(value.As<Napi::Number>().Int64Value());
  throw Napi::TypeError::New(env, "injectSyscalls: arguments must be bigints or numbers");
}

}  // namespace

Napi::Value InjectSyscallsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsNumber() ||
      !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "injectSyscalls(pid, calls, finalState, stopTimeoutMs)");
  }
  InjectPlan plan;
  plan.pid = info[0].As<Napi::Number>().Int32Value();
  const int final_state = info[2].As<Napi::Number>().Int32Value();
  if (plan.pid <= 0 || final_state < 0 || final_state > 2) {
    throw Napi::RangeError::New(env, "injectSyscalls: bad pid or final state");
  }
  plan.final_state = static_cast<FinalState>(final_state);
  plan.stop_timeout_ms = info[3].As<Napi::Number>().Int32Value();
  Napi::Array calls = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < calls.Length(); i++) {
    Napi::Value entry = calls.Get(i);
    if (!entry.IsObject()) throw Napi::TypeError::New(env, "injectSyscalls: a call is not an object");
    Napi::Object call = entry.As<Napi::Object>();
    Napi::Value nr = call.Get("nr");
    Napi::Value args = call.Get("args");
    if (!nr.IsNumber() || !args.IsArray() || args.As<Napi::Array>().Length() > 6) {
      throw Napi::TypeError::New(env, "injectSyscalls: a call needs nr and at most 6 args");
    }
    InjectedCall injected{nr.As<Napi::Number>().Int64Value(), {0, 0, 0, 0, 0, 0}};
    Napi::Array list = args.As<Napi::Array>();
    for (uint32_t a = 0; a < list.Length(); a++) injected.args[a] = ArgValue(env, list.Get(a));
    plan.calls.push_back(injected);
  }
  auto* worker = new InjectWorker(env, std::move(plan));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace node_criu
