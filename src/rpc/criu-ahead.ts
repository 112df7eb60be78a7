// A CRIU process started before its request is ready. CRIU spends its first milliseconds loading
// (its shared libraries, its start-up) before it reads the request; an operation that starts it
// first does its own checks and preparation meanwhile, on this machine's other core.
import { type SwrkOptions, SwrkSession } from './swrk.js';

/**
 * One `criu swrk` on its way up, for one request. Either a call claims it (and ends it as every
 * call does) or the operation dismisses it: an operation that starts one dismisses it in a
 * `finally`, which does nothing once it was claimed.
 */
export class CriuAhead {
  readonly #session: Promise<SwrkSession>;
  #claimed = false;
  #dismissed: Promise<void> | undefined;

  /** Starts `criu swrk` at `criuPath` with `options.inheritFds` (copied now: the caller may close them). */
  constructor(criuPath: string, options: SwrkOptions = {}) {
    this.#session = SwrkSession.start(criuPath, options);
    // A CRIU that could not be started is reported by claim(); dismiss() has nothing to end.
    this.#session.catch(() => {});
  }

  /** The session, for the call that sends its request (once). Rejects if CRIU could not start. */
  claim(): Promise<SwrkSession> {
    if (this.#claimed) throw new Error('CriuAhead: claimed twice or after dismiss()');
    this.#claimed = true;
    return this.#session;
  }

  /**
   * Ends the CRIU unless a call claimed it (it has read no request: it is killed) and waits for
   * it; every later call waits for the same end.
   */
  dismiss(): Promise<void> {
    if (this.#dismissed) return this.#dismissed;
    if (this.#claimed) return Promise.resolve();
    this.#claimed = true;
    this.#dismissed = this.#session.then(
      async (session) => void (await session.dismiss()),
      () => {},
    );
    return this.#dismissed;
  }
}
