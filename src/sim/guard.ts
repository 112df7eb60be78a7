// Abort, timeout and hooks for a simulated operation, with the CRIU backend's rules: a hook
// returning false or throwing stops the operation (ABORTED), the signal gives ABORTED, the
// timeout TIMEOUT, and a hung hook cannot hold the operation past either.
import { CriuError, type CriuOperation } from '../errors.js';
import type { HookContext, HookName, Hooks } from '../rpc/hooks.js';
import { NOTIFICATIONS, type NotificationName } from '../rpc/hooks.js';

export interface GuardOptions {
  operation: CriuOperation;
  pid?: number | undefined;
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  hooks?: Hooks | undefined;
}

const HOOK_OF = NOTIFICATIONS as Record<NotificationName, HookName>;

export class OperationGuard {
  readonly #options: GuardOptions;
  readonly #stopped: Promise<never>;
  #stop: CriuError | undefined;
  #reject!: (error: CriuError) => void;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = () => this.#halt('ABORTED');

  constructor(options: GuardOptions) {
    this.#options = options;
    this.#stopped = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.#stopped.catch(() => {});
    if (options.signal?.aborted) this.#halt('ABORTED');
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (options.timeout !== undefined) this.#timer = setTimeout(() => this.#halt('TIMEOUT'), options.timeout);
  }

  #halt(code: 'ABORTED' | 'TIMEOUT'): void {
    if (this.#stop) return;
    const { operation, signal, timeout, pid } = this.#options;
    const what =
      code === 'TIMEOUT'
        ? `timed out after ${timeout} ms`
        : `was aborted${signal?.reason instanceof Error ? ` (${signal.reason.message})` : ''}`;
    this.#stop = new CriuError(code, `The ${operation} ${what}; the simulator stopped it.`, {
      operation,
      pid,
      cause: code === 'ABORTED' ? signal?.reason : undefined,
    });
    this.#reject(this.#stop);
  }

  /** Throws the stop, if the operation was stopped. */
  check(): void {
    if (this.#stop) throw this.#stop;
  }

  /** Waits for `work` unless the operation is stopped first. */
  async race<T>(work: Promise<T>): Promise<T> {
    this.check();
    return Promise.race([work, this.#stopped]);
  }

  /** Runs the caller's hook for `notification`; its refusal stops the operation. */
  async notify(notification: NotificationName, pid: number | undefined): Promise<unknown> {
    this.check();
    const hook = this.#options.hooks?.[HOOK_OF[notification]] as
      | ((context: HookContext) => unknown | Promise<unknown>)
      | undefined;
    if (!hook) return undefined;
    const refused = (cause?: unknown) =>
      new CriuError(
        'ABORTED',
        `The ${this.#options.operation} of ${this.#options.pid === undefined ? 'the checkpoint' : `pid ${this.#options.pid}`} was stopped by the ${notification} hook.`,
        { operation: this.#options.operation, pid: this.#options.pid, cause },
      );
    let answer: unknown;
    try {
      answer = await this.race(Promise.resolve().then(() => hook({ notification, pid, fds: [] })));
    } catch (error) {
      if (error === this.#stop) throw error;
      throw refused(error);
    }
    if (answer === false) throw refused();
    this.check();
    return answer;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }
}
