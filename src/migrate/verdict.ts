// The source's one decision in a migration: did the tree run at the destination (`running`), or did
// something fail first? Decided once; before it is, any failure resumes the tree at the source.
import type { Running } from './protocol.js';

/** Settles once: `running` from the destination commits, any failure before it does not. */
export class Verdict {
  /** Resolves true once committed (the tree runs at the destination), false on a failure first. */
  readonly committed: Promise<boolean>;
  /** The destination's `running`, once committed. */
  running: Running | undefined;
  /** What failed first, if something did before `running`. */
  failure: Error | undefined;
  #settle: (yes: boolean) => void = () => {};

  constructor() {
    this.committed = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** The destination runs the tree: committed, unless a failure came first. */
  run(message: Running): void {
    if (this.failure || this.running) return;
    this.running = message;
    this.#settle(true);
  }

  /** A failure, which counts only before `running`. */
  fail(error: Error): void {
    if (this.failure || this.running) return;
    this.failure = error;
    this.#settle(false);
  }

  /** `work`'s value, or the failure as soon as there is one. */
  unlessFailed<T>(work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      this.committed.then(() => {
        this.check();
        return work;
      }),
    ]);
  }

  /** Throws the failure, if there is one (a hook that must not let CRIU go on). */
  check(): void {
    if (this.failure) throw this.failure;
  }
}
