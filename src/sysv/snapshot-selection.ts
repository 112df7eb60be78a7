// Which SysV objects a snapshot saves: what snapshotSysv() and the checkpoint option
// `sysv.snapshot` take. Apart from snapshot.ts, which validates through options.ts, so that the
// option types in types.ts can name it without an import cycle.

/** Which objects to save, by id in their IPC namespace. */
export interface SysvSelection {
  /** Shared memory segments, by shmid. */
  shm?: readonly number[];
  /** Semaphore sets, by semid. */
  sem?: readonly number[];
  /** Message queues, by msqid. */
  msg?: readonly number[];
}
