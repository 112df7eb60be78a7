// What a scripted program of the simulator is: its state lives in simulated memory (so that a
// checkpoint captures it), its behaviour in a run() that rebuilds timers and readers from that
// memory, both at spawn and after every restore.

/** What a program can do to its process. */
export interface SimProgramContext {
  /** The process's pid. */
  readonly pid: number;
  /** Its arguments, as given to sim.spawn (kept in its memory, so a restore has them too). */
  readonly args: readonly string[];
  /** A region of its memory by name ('state', or 'sysv' once a segment is attached). */
  memory(name: string): Buffer;
  /** Writes to an fd (lost if it is closed or its reader went away, as with SIGPIPE ignored). */
  write(fd: number, data: string | Buffer): void;
  /** Calls `listener` with what arrives on fd while the process runs. */
  onData(fd: number, listener: (chunk: Buffer) => void): void;
  /** Runs `task` every `ms` while the process runs (a stopped process does nothing). */
  every(ms: number, task: () => void): void;
  /** Attaches a live SysV segment as the region 'sysv' (shmat), at spawn only. */
  attachShm(shmid: number, writable: boolean): Buffer;
  /** Ends the process with `code`. */
  exit(code: number): void;
}

/**
 * A scripted program the simulator runs (sim.defineProgram): its state in named memory regions,
 * its behaviour in run(), which must rebuild everything from memory so that a restore continues it.
 */
export interface SimProgram {
  /** Its name, given to sim.spawn (at most 15 bytes: it is the task's comm, which a checkpoint records). */
  readonly name: string;
  /** Private memory regions, by name and size in bytes (rounded up to pages). */
  readonly regions: Readonly<Record<string, number>>;
  /** Once at spawn, on zeroed memory. */
  init?(ctx: SimProgramContext): void;
  /** At spawn after init, and after every restore: everything it needs is in memory. */
  run(ctx: SimProgramContext): void;
}
