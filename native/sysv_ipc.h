// SysV objects seen from this process: copy a segment to or from a file, read and set semaphore
// values, copy queue messages without consuming them, create objects and set their owner/mode.
#pragma once

#include <napi.h>

namespace node_criu {

// shmCopy(shmid, fd, bytes, toSegment, ipcNsFd) -> Promise<void>: attaches the segment in this
// process (read-only unless toSegment), copies `bytes` between it and the file at fd (from offset
// 0), detaches. Runs on the thread pool: a large segment takes a while. ipcNsFd >= 0 (an open
// /proc/PID/ns/ipc): the segment is the one with that id in that IPC namespace.
Napi::Value ShmCopy(const Napi::CallbackInfo& info);
// openInIpcNamespace(ipcNsFd, path) -> fd: opens path read-only from inside that IPC namespace
// (/proc/sysvipc/* and the ipc sysctls show the namespace of their opener).
Napi::Value OpenInIpcNamespace(const Napi::CallbackInfo& info);
// ipcCreate(kind 'shm'|'sem'|'msg', key, sizeOrNsems, flags) -> id (shmget/semget/msgget).
Napi::Value IpcCreate(const Napi::CallbackInfo& info);
// ipcRemove(kind, id): IPC_RMID.
Napi::Value IpcRemove(const Napi::CallbackInfo& info);
// ipcSetOwner(kind, id, uid, gid, mode, qbytes): IPC_STAT then IPC_SET (qbytes: msg only, 0 = keep).
Napi::Value IpcSetOwner(const Napi::CallbackInfo& info);
// semGetAll(semid, nsems) -> number[] (GETALL); semSetAll(semid, values) (SETALL).
Napi::Value SemGetAll(const Napi::CallbackInfo& info);
Napi::Value SemSetAll(const Napi::CallbackInfo& info);
// msgCopy(msqid, index) -> { type: number, data: Buffer } | null once index is past the last
// message (msgrcv with MSG_COPY|IPC_NOWAIT: the queue is left as it was).
Napi::Value MsgCopy(const Napi::CallbackInfo& info);
// msgQueueBytes(msqid) -> msg_qbytes (IPC_STAT).
Napi::Value MsgQueueBytes(const Napi::CallbackInfo& info);
// msgSend(msqid, type, data): msgsnd with IPC_NOWAIT.
Napi::Value MsgSend(const Napi::CallbackInfo& info);

}  // namespace node_criu
