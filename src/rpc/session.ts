// A kept-open swrk connection (RpcSession) and what every request shares: its extra fields, and
// the failure of a request whose reply says no more than success=false.
import { create } from '@bufbuild/protobuf';
import { CriuError, type CriuOperation } from '../errors.js';
import { type Options, RequestSchema, RequestType, type Response } from '../gen/criu_rpc_pb.js';
import { exchange } from './conversation.js';
import type { SwrkSession } from './swrk.js';

/** The request fields besides type and opts. */
export interface RequestExtras {
  /** Keep the connection open after the answer (requests a session may follow with others). */
  keepOpen?: boolean;
  /** For WAIT_PID. */
  pid?: number;
  /** For FEATURE_CHECK: the features to ask about. */
  features?: { memTrack?: boolean; lazyPages?: boolean; pidfdStore?: boolean };
}

/** Requests CRIU serves without closing the connection; it refuses keep_open on any other. */
const KEEP_OPEN_TYPES: ReadonlySet<RequestType> = new Set([
  RequestType.VERSION,
  RequestType.FEATURE_CHECK,
  RequestType.CPUINFO_DUMP,
  RequestType.CPUINFO_CHECK,
  RequestType.PAGE_SERVER,
  RequestType.PAGE_SERVER_CHLD,
]);

/**
 * A kept-open swrk connection, for request sequences CRIU allows on one connection
 * (VERSION, FEATURE_CHECK, CPUINFO_*, PAGE_SERVER*, then WAIT_PID for a page server child).
 */
export class RpcSession {
  readonly #swrk: SwrkSession;
  readonly #operation: CriuOperation;

  /** Made by CriuRpcClient.session(); `operation` names the session's requests in errors. */
  constructor(swrk: SwrkSession, operation: CriuOperation) {
    this.#swrk = swrk;
    this.#operation = operation;
  }

  /**
   * Sends one request on the kept-open connection and returns CRIU's response as it is (a
   * response with `success: false` is returned, not thrown); protocol failures throw PROTOCOL.
   */
  async request(type: RequestType, opts?: Options, extra: RequestExtras = {}): Promise<Response> {
    const keepOpen = KEEP_OPEN_TYPES.has(type);
    const request = create(RequestSchema, { keepOpen, ...extra, type, ...(opts ? { opts } : {}) });
    const { response } = await exchange(this.#swrk.transport, request, {
      operation: this.#operation,
      criuPid: this.#swrk.pid,
    });
    return response;
  }

  /** PAGE_SERVER_CHLD: a page server run by a child of this swrk (wait for it with waitPid). */
  async pageServerChild(opts: Options): Promise<PageServerInfo> {
    return pageServerInfo(await this.request(RequestType.PAGE_SERVER_CHLD, opts), 'page-server');
  }

  /** WAIT_PID: waits for a child of this swrk (a page server child) and returns its wait status. */
  async waitPid(pid: number): Promise<number> {
    const response = await this.request(RequestType.WAIT_PID, undefined, { pid });
    if (!response.success) throw requestFailed('wait-pid', response);
    return response.status;
  }

  /** Ends the session: closes the connection, which makes swrk exit, and waits for it (killed after 2 s). */
  close(): Promise<unknown> {
    return this.#swrk.close();
  }
}

/** A page server CRIU started. */
export interface PageServerInfo {
  /** The page server's pid. */
  pid: number;
  /** The TCP port it listens on. */
  port: number;
}

export function pageServerInfo(response: Response, operation: CriuOperation): PageServerInfo {
  if (!response.success || !response.pageServer) throw requestFailed(operation, response);
  return { pid: response.pageServer.pid, port: response.pageServer.port };
}

/** A generic failure of a request whose reply carries no more than success=false. */
export function requestFailed(operation: CriuOperation, response: Response, logPath?: string): CriuError {
  return new CriuError(
    'REQUEST_FAILED',
    `CRIU could not serve the ${operation} request.${logPath ? ` See ${logPath}.` : ''}`,
    {
      operation,
      criuErrno: response.crErrno || undefined,
      logPath,
    },
  );
}
