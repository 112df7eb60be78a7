// The request/notify loop of CRIU's RPC: one request out, notifications answered, one reply in.
import { closeSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CriuError, type CriuOperation } from '../errors.js';
import {
  OptionsSchema,
  type Request,
  RequestSchema,
  RequestType,
  type Response,
  ResponseSchema,
} from '../gen/criu_rpc_pb.js';
import { type HookContext, type Hooks, hookNameOf, type NotificationName } from './hooks.js';
import type { PacketTransport } from './transport.js';

export interface ExchangeOptions {
  operation: CriuOperation;
  hooks?: Hooks | undefined;
  /** The CRIU process answering (given to hooks, which may read its open images). */
  criuPid?: number | undefined;
  /**
   * Once aborted, CRIU is told to stop at its next notification (a clean rollback point), and a
   * hook still running is no longer waited for.
   */
  stop?: AbortSignal | undefined;
  /**
   * Given, once the request is sent, a function that answers CRIU's next notification (the next
   * one after those received so far) with success before it comes: CRIU then finds its answer
   * waiting instead of waiting on us (a round trip costs it ~0.5-1 ms). That notification's hook
   * still runs when it arrives, for what it notes, but its verdict is not heard: only for a
   * notification whose hook cannot refuse.
   */
  answerAhead?: ((answer: () => void) => void) | undefined;
}

/** How a request went: CRIU's final answer, and whether our side refused or stopped it. */
export interface ExchangeResult {
  /** CRIU's answer to the request (after every notification was answered). */
  response: Response;
  /** Set when a hook threw or returned false, so the operation was refused on our side. */
  refusal?: { notification: NotificationName; error: unknown } | undefined;
  /** True when a notification was answered "stop" because `stop` was aborted. */
  stopped: boolean;
}

/** A notification's plain "go on", the same bytes every time. */
const SUCCESS_ANSWER = toBinary(
  RequestSchema,
  create(RequestSchema, { type: RequestType.NOTIFY, notifySuccess: true }),
);

/** The answer to a notification: query-ext-files's carries the externals to add, in opts. */
function answerBytes(success: boolean, external: readonly string[]): Uint8Array {
  if (success && external.length === 0) return SUCCESS_ANSWER;
  const answer = create(RequestSchema, { type: RequestType.NOTIFY, notifySuccess: success });
  if (external.length > 0) answer.opts = create(OptionsSchema, { imagesDirFd: -1, external: [...external] });
  return toBinary(RequestSchema, answer);
}

function protocolError(operation: CriuOperation, message: string, cause?: unknown): CriuError {
  return new CriuError('PROTOCOL', message, { operation, cause });
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // Already closed by a hook that took ownership without saying so: nothing to free.
    }
  }
}

/**
 * Sends `request` and drives the conversation to CRIU's final reply. Hooks run at each
 * notification; their failure (or `stop`) answers `notify_success=false`, which CRIU turns
 * into a rollback and a failed reply, returned here with the reason.
 */
export async function exchange(
  transport: PacketTransport,
  request: Request,
  options: ExchangeOptions,
): Promise<ExchangeResult> {
  const { operation } = options;
  const typeName = RequestType[request.type];
  await io(operation, () => transport.send(toBinary(RequestSchema, request)));
  let refusal: ExchangeResult['refusal'];
  let stopped = false;
  // Answers sent ahead and not yet matched with their notification; asked for while a
  // notification is being handled: sent after its own answer (CRIU reads answers in order).
  let sentAhead = 0;
  let askedAhead = 0;
  let handling = false;
  const sendAhead = () => {
    sentAhead++;
    // A failure here is CRIU gone: the next receive says so.
    transport.send(SUCCESS_ANSWER).catch(() => {});
  };
  options.answerAhead?.(() => {
    if (handling) askedAhead++;
    else sendAhead();
  });
  for (;;) {
    const packet = await io(operation, () => transport.receive());
    if (packet === null) {
      throw protocolError(operation, `CRIU exited before answering the ${typeName} request`);
    }
    let response: Response;
    try {
      response = fromBinary(ResponseSchema, packet.data);
    } catch (cause) {
      closeAll(packet.fds);
      throw protocolError(operation, `CRIU sent an undecodable ${packet.data.byteLength}-byte packet`, cause);
    }
    if (response.type === RequestType.NOTIFY) {
      const context: HookContext = {
        notification: (response.notify?.script ?? '') as NotificationName,
        pid: response.notify?.pid || undefined,
        criuPid: options.criuPid,
        fds: [...packet.fds],
      };
      if (sentAhead > 0) {
        sentAhead--;
        await runHook(options.hooks, context).catch((error: unknown) => {
          refusal ??= { notification: context.notification, error };
        });
        closeAll(context.fds);
        continue;
      }
      handling = true;
      let success = true;
      let hookStillRunning: Promise<undefined> | undefined;
      let external: readonly string[] = [];
      if (refusal || options.stop?.aborted) {
        success = false;
      } else {
        try {
          const running = runHook(options.hooks, context);
          // A hook given up on by a stop may still use the fds: they are closed when it settles.
          hookStillRunning = running.then(
            () => undefined,
            () => undefined,
          );
          const verdict = await untilStopped(running, options.stop);
          hookStillRunning = undefined;
          if (verdict === false) throw new Error(`the ${context.notification} hook returned false`);
          if (Array.isArray(verdict)) external = verdict;
        } catch (error) {
          success = false;
          refusal = { notification: context.notification, error };
        }
      }
      // Checked again after the hook: a stop requested while it ran must not be answered "go on".
      if (options.stop?.aborted) {
        success = false;
        stopped = true;
      }
      if (hookStillRunning) void hookStillRunning.then(() => closeAll(context.fds));
      else closeAll(context.fds);
      await io(operation, () => transport.send(answerBytes(success, external)));
      handling = false;
      for (; askedAhead > 0; askedAhead--) sendAhead();
      continue;
    }
    closeAll(packet.fds);
    if (response.type === replyType(request.type)) return { response, refusal, stopped };
    if (response.type === RequestType.EMPTY) {
      throw protocolError(
        operation,
        `CRIU rejected the ${typeName} request as invalid (${response.crErrmsg || 'no reason given'})`,
      );
    }
    throw protocolError(
      operation,
      `CRIU answered ${typeName} with a ${RequestType[response.type] ?? response.type} reply`,
    );
  }
}

/** A socket failure talking to CRIU (EPIPE once it died, ...) is a PROTOCOL error. */
async function io<T>(operation: CriuOperation, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw protocolError(operation, `The connection to CRIU failed: ${(cause as Error).message}`, cause);
  }
}

/** The hook's result, or undefined as soon as `stop` aborts: a hung hook must not block a stop. */
function untilStopped<T>(work: Promise<T>, stop: AbortSignal | undefined): Promise<T | undefined> {
  if (!stop) return work;
  return new Promise<T | undefined>((resolve, reject) => {
    const onStop = () => resolve(undefined);
    stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}

/** CRIU answers a request with a reply of the same type, except PAGE_SERVER_CHLD. */
function replyType(type: RequestType): RequestType {
  return type === RequestType.PAGE_SERVER_CHLD ? RequestType.PAGE_SERVER : type;
}

async function runHook(hooks: Hooks | undefined, context: HookContext): Promise<unknown> {
  const name = hookNameOf(context.notification);
  if (!hooks || !name) return undefined;
  const hook = hooks[name] as ((c: HookContext) => unknown) | undefined;
  return hook ? await hook(context) : undefined;
}
