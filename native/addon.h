// The module's per-environment instance (Napi::Addon): its exports and the state they share.
#pragma once

#include <napi.h>

namespace node_criu {

// One per Node environment (the main thread and each Worker get their own); no static state, so
// Workers can load the addon side by side.
class NodeCriuAddon : public Napi::Addon<NodeCriuAddon> {
 public:
  NodeCriuAddon(Napi::Env env, Napi::Object exports);

 private:
  // seqpacketPair(): [Seqpacket, number] — our end wrapped, the other end as a raw fd.
  Napi::Value SeqpacketPair(const Napi::CallbackInfo& info);

  // This environment's Seqpacket class, for making instances from C++.
  Napi::FunctionReference seqpacket_class_;
};

}  // namespace node_criu
