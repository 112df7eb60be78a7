// CRIU's RPC requests as async calls: one swrk child per call (or per kept-open session),
// abort and timeout turned into a clean stop at the next notification, then a kill.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { CriuError, type CriuOperation } from '../errors.js';
import {
  type Features,
  type Options,
  OptionsSchema,
  RequestSchema,
  RequestType,
  type Version,
} from '../gen/criu_rpc_pb.js';
import { type ExchangeOptions, type ExchangeResult, exchange } from './conversation.js';
import { CriuAhead } from './criu-ahead.js';
import type { Hooks } from './hooks.js';
import { listenerPid } from './listener-pid.js';
import { type PageServerInfo, pageServerInfo, type RequestExtras, RpcSession, requestFailed } from './session.js';
import { SwrkSession } from './swrk.js';

export type OptionsInit = MessageInitShape<typeof OptionsSchema>;

/** How CriuRpcClient.call() runs its request. */
export interface CallOptions {
  /** What the call is for, named in errors. */
  operation: CriuOperation;
  /** Called at CRIU's notifications; returning false or throwing refuses the operation. */
  hooks?: Hooks | undefined;
  /** Aborting stops CRIU at its next notification (then kills it after `killGraceMs`): ABORTED. */
  signal?: AbortSignal | undefined;
  /** Milliseconds before the call is stopped with TIMEOUT. */
  timeout?: number | undefined;
  /** Our fds passed into CRIU at 4, 5, ... (see FIRST_INHERITED_FD). */
  inheritFds?: readonly number[] | undefined;
  /** A CRIU started ahead (with these inheritFds, if any) that the request goes to; else one is started. */
  ahead?: CriuAhead | undefined;
  /** See ExchangeOptions.answerAhead (never with a signal or timeout: a stop is heard at notifications). */
  answerAhead?: ExchangeOptions['answerAhead'];
  /**
   * After abort/timeout, how long CRIU may take to reach its next notification (where it rolls
   * back cleanly) before it is killed. Killing CRIU mid-dump can leave its parasite in the target,
   * so the default is generous.
   */
  killGraceMs?: number | undefined;
  /** CRIU's log of this call, named in errors. */
  logPath?: string | undefined;
  /**
   * Return as soon as CRIU answered a success, without waiting for it to exit; the caller awaits
   * `criuGone` once it has done its own work after the call (CRIU's exit takes a few ms that
   * then overlap with that work). Failures always wait for CRIU's exit.
   */
  overlapExit?: boolean | undefined;
}

/** What call() returns: CRIU's answer, its stderr, and when it is gone. */
export interface CallResult extends ExchangeResult {
  /** What CRIU wrote on stderr (crashes, messages before the log was opened). */
  stderr: string;
  /** Settles once the CRIU process has exited (already settled unless `overlapExit`). */
  criuGone: Promise<void>;
}

const DEFAULT_KILL_GRACE_MS = 10_000;

function stopError(code: 'ABORTED' | 'TIMEOUT', options: CallOptions, cause?: unknown): CriuError {
  const what =
    code === 'TIMEOUT'
      ? `timed out after ${options.timeout} ms`
      : `was aborted${options.signal?.reason instanceof Error ? ` (${options.signal.reason.message})` : ''}`;
  return new CriuError(code, `The ${options.operation} ${what}; CRIU was stopped.`, {
    operation: options.operation,
    logPath: options.logPath,
    cause: cause ?? options.signal?.reason,
  });
}

/** Builds criu_opts; images_dir_fd is required by the protocol, -1 meaning "use images_dir". */
export function criuOptions(init: OptionsInit = {}): Options {
  return create(OptionsSchema, { imagesDirFd: -1, ...init });
}

/**
 * CRIU's swrk RPC, one request per call (each on a CRIU child of its own) or several on a
 * kept-open session(): the low-level layer checkpoint() and restore() are built on.
 */
export class CriuRpcClient {
  /** The CRIU binary every request runs. */
  readonly criuPath: string;

  /** A client for the CRIU at `criuPath` (nothing runs until a request). */
  constructor(criuPath: string) {
    this.criuPath = criuPath;
  }

  /**
   * Starts a CRIU for a request the caller is still getting ready (pass it as CallOptions.ahead),
   * with `inheritFds` as the call would; dismiss() it should the request never be sent.
   */
  startAhead(inheritFds?: readonly number[]): CriuAhead {
    return new CriuAhead(this.criuPath, { inheritFds });
  }

  /** Opens a kept-open session (close it when done). */
  async session(operation: CriuOperation): Promise<RpcSession> {
    return new RpcSession(await SwrkSession.start(this.criuPath), operation);
  }

  /**
   * Runs one request on its own swrk child. A hook's refusal and a failed reply are returned
   * (the caller knows how to explain them); abort, timeout and protocol failures throw.
   */
  async call(
    type: RequestType,
    opts: Options | undefined,
    options: CallOptions,
    extra: RequestExtras = {},
  ): Promise<CallResult> {
    if (options.signal?.aborted) throw stopError('ABORTED', options);
    const swrk = await (options.ahead?.claim() ?? SwrkSession.start(this.criuPath, { inheritFds: options.inheritFds }));
    let stop: 'ABORTED' | 'TIMEOUT' | undefined;
    const stopper = new AbortController();
    let killTimer: NodeJS.Timeout | undefined;
    const requestStop = (code: 'ABORTED' | 'TIMEOUT') => {
      if (stop) return;
      stop = code;
      stopper.abort();
      killTimer = setTimeout(() => swrk.kill('SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    const onAbort = () => requestStop('ABORTED');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while CRIU was being spawned: the event has fired already.
    if (options.signal?.aborted) onAbort();
    const timeoutTimer =
      options.timeout === undefined ? undefined : setTimeout(() => requestStop('TIMEOUT'), options.timeout);
    let answered = false; // with a success
    let markGone: () => void = () => {};
    const criuGone = new Promise<void>((resolve) => {
      markGone = resolve;
    });
    try {
      const request = create(RequestSchema, { ...extra, type, ...(opts ? { opts } : {}) });
      let result: ExchangeResult;
      try {
        result = await exchange(swrk.transport, request, {
          operation: options.operation,
          criuPid: swrk.pid,
          hooks: options.hooks,
          stop: stopper.signal,
          answerAhead: options.answerAhead,
        });
      } catch (error) {
        if (stop) throw stopError(stop, options, error);
        throw withStderr(error, swrk);
      }
      if (stop && !result.response.success) throw stopError(stop, options);
      answered = result.response.success && !result.refusal;
      return { ...result, stderr: swrk.stderr, criuGone };
    } finally {
      clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Once CRIU has answered a success, all that is left for it is to see the socket close and
      // exit (close() kills it should it linger); with overlapExit the caller waits for that after
      // its own work. After a failure or a refusal it is waited for here: the caller cleans up
      // after a CRIU that is gone.
      const closed = swrk.close().finally(() => {
        clearTimeout(killTimer);
        markGone();
      });
      if (!answered || !options.overlapExit) await closed;
    }
  }

  /** VERSION: CRIU's version (major, minor, sublevel, gitid). */
  async version(): Promise<Version> {
    const { response } = await this.call(RequestType.VERSION, undefined, { operation: 'version' });
    if (!response.success || !response.version) throw requestFailed('version', response);
    return response.version;
  }

  /** Which optional features this CRIU and kernel have (all are asked for). */
  async featureCheck(): Promise<Features> {
    const { response } = await this.call(
      RequestType.FEATURE_CHECK,
      undefined,
      { operation: 'feature-check' },
      { features: { memTrack: true, lazyPages: true, pidfdStore: true } },
    );
    if (!response.success || !response.features) throw requestFailed('feature-check', response);
    return response.features;
  }

  /**
   * PRE_DUMP (or SINGLE_PRE_DUMP with `single`), refused up front when FEATURE_CHECK says the
   * kernel cannot track memory: CRIU would otherwise abort mid-way and leave its parasite mapped
   * in the target.
   */
  async preDump(opts: Options, options: Omit<CallOptions, 'operation'> = {}, single = false): Promise<CallResult> {
    const features = await this.featureCheck();
    if (!features.memTrack) {
      throw new CriuError(
        'UNSUPPORTED',
        'Pre-dump needs memory change tracking, which this kernel lacks (CONFIG_MEM_SOFT_DIRTY is off; FEATURE_CHECK mem_track=false). Use a full checkpoint instead.',
        { operation: 'pre-dump', pid: opts.pid || undefined },
      );
    }
    return this.call(single ? RequestType.SINGLE_PRE_DUMP : RequestType.PRE_DUMP, opts, {
      ...options,
      operation: 'pre-dump',
    });
  }

  /**
   * PAGE_SERVER: starts a daemon page server (it exits after serving one dump). CRIU 4.2 answers
   * pid 0 for the daemon, so the pid is then found from the port it listens on.
   */
  async pageServer(opts: Options): Promise<PageServerInfo> {
    const { response } = await this.call(RequestType.PAGE_SERVER, opts, { operation: 'page-server' });
    const info = pageServerInfo(response, 'page-server');
    return info.pid > 0 ? info : { ...info, pid: (await listenerPid(info.port)) ?? 0 };
  }

  /** CPUINFO_DUMP: records this CPU's features into cpuinfo.img of the images dir. */
  async cpuinfoDump(opts: Options): Promise<void> {
    const { response } = await this.call(RequestType.CPUINFO_DUMP, opts, { operation: 'cpuinfo-dump' });
    if (!response.success) throw requestFailed('cpuinfo-dump', response);
  }

  /** CPUINFO_CHECK: whether images made on the CPU of cpuinfo.img can be restored on this one. */
  async cpuinfoCheck(opts: Options): Promise<boolean> {
    const { response } = await this.call(RequestType.CPUINFO_CHECK, opts, { operation: 'cpuinfo-check' });
    return response.success;
  }
}

function withStderr(error: unknown, swrk: SwrkSession): unknown {
  const exit = swrk.exitStatus;
  if (error instanceof CriuError && error.code === 'PROTOCOL' && (swrk.stderr || exit)) {
    const how = exit?.signal ? `killed by ${exit.signal}` : exit ? `exited with code ${exit.code}` : 'went away';
    return new CriuError(
      'PROTOCOL',
      `${error.message} (CRIU ${how}${swrk.stderr ? `: ${swrk.stderr.trim().split('\n').at(-1)}` : ''})`,
      {
        operation: error.operation,
        cause: error,
      },
    );
  }
  return error;
}
