// SysV calls the snapshot and recreate code needs; everything else about them is TypeScript.
#include "sysv_ipc.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "system_error.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

namespace node_criu {
namespace {

union SemArg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

int IntArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

enum class Kind { kShm, kSem, kMsg };

// Runs `job` in the IPC namespace of `ns_fd` (-1: ours). setns(CLONE_NEWIPC) is per thread, so a
// short-lived thread joins the namespace and dies with it: no thread of Node's ever changes
// namespace. Returns 0, or the errno of setns (job reports its own failures).
template <typename Job>
int InIpcNamespace(int ns_fd, Job job) {
  if (ns_fd < 0) {
    job();
    return 0;
  }
  int error = 0;
  std::thread worker([&] {
    if (setns(ns_fd, CLONE_NEWIPC) != 0) {
      error = errno;
      return;
    }
    job();
  });
  worker.join();
  return error;
}

Kind KindArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "kind must be a string");
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  if (kind == "shm") return Kind::kShm;
  if (kind == "sem") return Kind::kSem;
  if (kind == "msg") return Kind::kMsg;
  throw Napi::RangeError::New(info.Env(), "kind must be 'shm', 'sem' or 'msg'");
}

// Copies in chunks so that a short read or write (a signal, a full disk) is seen, not skipped.
class ShmCopyWorker : public Napi::AsyncWorker {
 public:
  ShmCopyWorker(Napi::Env env, int shmid, int fd, size_t bytes, bool to_segment, int ns_fd)
      : Napi::AsyncWorker(env, "node-criu:shmCopy"),
        ns_fd_(ns_fd),
        shmid_(shmid),
        fd_(fd),
        bytes_(bytes),
        to_segment_(to_segment),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (const int error = InIpcNamespace(ns_fd_, [this] { Copy(); }); error != 0) {
      error_ = error;
      step_ = "setns";
    }
  }

  void Copy() {
    void* at = shmat(shmid_, nullptr, to_segment_ ? 0 : SHM_RDONLY);
    if (at == reinterpret_cast<void*>(-1)) {
      Fail("shmat");
      return;
    }
    char* base = static_cast<char*>(at);
    size_t done = 0;
    while (done < bytes_) {
      const size_t chunk = bytes_ - done < (1u << 20) ? bytes_ - done : (1u << 20);
      const ssize_t n = to_segment_ ? pread(fd_, base + done, chunk, static_cast<off_t>(done))
                                    : pwrite(fd_, base + done, chunk, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = to_segment_ ? ENODATA : ENOSPC;
        Fail(to_segment_ ? "pread" : "pwrite");
        break;
      }
      done += static_cast<size_t>(n);
    }
    shmdt(at);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(SystemError(env, error_, step_).Value());
    } else {
      deferred_.Resolve(env.Undefined());
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  void Fail(const char* step) {
    error_ = errno;
    step_ = step;
  }

  int ns_fd_;
  int shmid_;
  int fd_;
  size_t bytes_;
  bool to_segment_;
  int error_ = 0;
  const char* step_ = "";
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value ShmCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int shmid = IntArg(info, 0, "shmid");
  const int fd = IntArg(info, 1, "fd");
  if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsBoolean()) {
    throw Napi::TypeError::New(env, "shmCopy(shmid, fd, bytes, toSegment, ipcNsFd)");
  }
  const int64_t bytes = info[2].As<Napi::Number>().Int64Value();
  if (bytes < 0) throw Napi::RangeError::New(env, "bytes must not be negative");
  const int ns_fd = IntArg(info, 4, "ipcNsFd");
  auto* worker =
      new ShmCopyWorker(env, shmid, fd, static_cast<size_t>(bytes), info[3].As<Napi::Boolean>().Value(), ns_fd);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value OpenInIpcNamespace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int ns_fd = IntArg(info, 0, "ipcNsFd");
  if (info.Length() < 2 || !info[1].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  // Files such as /proc/sysvipc/shm and /proc/sys/kernel/shmmax show the namespace they were
  // opened in, so the open alone happens inside it; reading is the caller's business.
  int fd = -1;
  int open_error = 0;
  const int error = InIpcNamespace(ns_fd, [&] {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    open_error = errno;
  });
  if (error != 0) throw SystemError(env, error, "setns");
  if (fd < 0) throw SystemError(env, open_error, "open");
  return Napi::Number::New(env, fd);
}

Napi::Value IpcCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Kind kind = KindArg(info);
  const key_t key = static_cast<key_t>(IntArg(info, 1, "key"));
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "size must be a number");
  const int64_t size = info[2].As<Napi::Number>().Int64Value();
  const int flags = IntArg(info, 3, "flags");
  int id = -1;
  const char* call = "msgget";
  if (kind == Kind::kShm) {
    call = "shmget";
    id = shmget(key, static_cast<size_t>(size), flags);
  } else if (kind == Kind::kSem) {
    call = "semget";
    id = semget(key, static_cast<int>(size), flags);
  } else {
    id = msgget(key, flags);
  }
  if (id < 0) throw SystemError(env, errno, call);
  return Napi::Number::New(env, id);
}

Napi::Value IpcRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Kind kind = KindArg(info);
  const int id = IntArg(info, 1, "id");
  int rc = kind == Kind::kShm   ? shmctl(id, IPC_RMID, nullptr)
           : kind == Kind::kSem ? semctl(id, 0, IPC_RMID)
                                : msgctl(id, IPC_RMID, nullptr);
  if (rc != 0) throw SystemError(env, errno, kind == Kind::kShm ? "shmctl" : kind == Kind::kSem ? "semctl" : "msgctl");
  return env.Undefined();
}

Napi::Value IpcSetOwner(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Kind kind = KindArg(info);
  const int id = IntArg(info, 1, "id");
  const uid_t uid = static_cast<uid_t>(IntArg(info, 2, "uid"));
  const gid_t gid = static_cast<gid_t>(IntArg(info, 3, "gid"));
  const int mode = IntArg(info, 4, "mode");
  const int qbytes = IntArg(info, 5, "qbytes");
  // IPC_SET takes every settable field from the struct: read them first, change only ours.
  if (kind == Kind::kShm) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0) throw SystemError(env, errno, "shmctl");
    ds.shm_perm.uid = uid;
    ds.shm_perm.gid = gid;
    ds.shm_perm.mode = static_cast<unsigned short>(mode);
    if (shmctl(id, IPC_SET, &ds) != 0) throw SystemError(env, errno, "shmctl");
  } else if (kind == Kind::kSem) {
    struct semid_ds ds;
    SemArg arg;
    arg.buf = &ds;
    if (semctl(id, 0, IPC_STAT, arg) != 0) throw SystemError(env, errno, "semctl");
    ds.sem_perm.uid = uid;
    ds.sem_perm.gid = gid;
    ds.sem_perm.mode = static_cast<unsigned short>(mode);
    if (semctl(id, 0, IPC_SET, arg) != 0) throw SystemError(env, errno, "semctl");
  } else {
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) != 0) throw SystemError(env, errno, "msgctl");
    ds.msg_perm.uid = uid;
    ds.msg_perm.gid = gid;
    ds.msg_perm.mode = static_cast<unsigned short>(mode);
    if (qbytes > 0) ds.msg_qbytes = static_cast<msglen_t>(qbytes);
    if (msgctl(id, IPC_SET, &ds) != 0) throw SystemError(env, errno, "msgctl");
  }
  return env.Undefined();
}

Napi::Value SemGetAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = IntArg(info, 0, "semid");
  const int nsems = IntArg(info, 1, "nsems");
  if (nsems <= 0) throw Napi::RangeError::New(env, "nsems must be positive");
  std::vector<unsigned short> values(static_cast<size_t>(nsems));
  SemArg arg;
  arg.array = values.data();
  if (semctl(id, 0, GETALL, arg) != 0) throw SystemError(env, errno, "semctl");
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return out;
}

Napi::Value SemSetAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = IntArg(info, 0, "semid");
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "values must be an array");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<unsigned short> values(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    values[i] = static_cast<unsigned short>(list.Get(i).As<Napi::Number>().Uint32Value());
  }
  SemArg arg;
  arg.array = values.data();
  if (semctl(id, 0, SETALL, arg) != 0) throw SystemError(env, errno, "semctl");
  return env.Undefined();
}

Napi::Value MsgQueueBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct msqid_ds ds;
  if (msgctl(IntArg(info, 0, "msqid"), IPC_STAT, &ds) != 0) throw SystemError(env, errno, "msgctl");
  return Napi::Number::New(env, static_cast<double>(ds.msg_qbytes));
}

Napi::Value MsgCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = IntArg(info, 0, "msqid");
  const int index = IntArg(info, 1, "index");
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) != 0) throw SystemError(env, errno, "msgctl");
  // No message is larger than the queue may hold.
  std::vector<char> buffer(sizeof(long) + ds.msg_qbytes);
  const ssize_t n = msgrcv(id, buffer.data(), ds.msg_qbytes, index, MSG_COPY | IPC_NOWAIT);
  if (n < 0 && errno == ENOMSG) return env.Null();
  if (n < 0) throw SystemError(env, errno, "msgrcv");
  long type;
  std::memcpy(&type, buffer.data(), sizeof(long));
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", Napi::Number::New(env, static_cast<double>(type)));
  out.Set("data", Napi::Buffer<char>::Copy(env, buffer.data() + sizeof(long), static_cast<size_t>(n)));
  return out;
}

Napi::Value MsgSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = IntArg(info, 0, "msqid");
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsBuffer()) {
    throw Napi::TypeError::New(env, "msgSend(msqid, type, data)");
  }
  const long type = static_cast<long>(info[1].As<Napi::Number>().Int64Value());
  Napi::Buffer<char> data = info[2].As<Napi::Buffer<char>>();
  std::vector<char> message(sizeof(long) + data.Length());
  std::memcpy(message.data(), &type, sizeof(long));
  std::memcpy(message.data() + sizeof(long), data.Data(), data.Length());
  if (msgsnd(id, message.data(), data.Length(), IPC_NOWAIT) != 0) throw SystemError(env, errno, "msgsnd");
  return env.Undefined();
}

}  // namespace node_criu
