import type { HttpMeter } from '@inflow/core';

/** A request as the handlers see it, whatever server received it. */
export interface HttpRequest {
  method: string;
  path: string;
  query: string;
  /** Lower-case header names; only those in REQUEST_HEADERS. */
  headers: Record<string, string>;
  body: Buffer;
  remoteAddress: string;
  /** The route template that took it (set by the Router; absent when none did). */
  route?: string | undefined;
  /** Set by a server that gives answers an X-Request-Id (ServerOptions.requestIds). */
  requestId?: string | undefined;
  /** True once the client went away before its answer (its connection closed): nobody waits for it any more. */
  readonly aborted?: boolean | undefined;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
  /**
   * Events an accepted ingestion answer refused alone (its `rejected` list): how many, and the
   * first one's code. Not sent; the intake log counts them, so that an operator sees events a
   * client was told about in a 200 or 201 it may not read.
   */
  refusedEvents?: { count: number; code: string };
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpReply>;

/** What a listening server offers its owner. */
export interface HttpServer {
  readonly port: number;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /** Stops taking new connections; open ones finish what they have. */
  stopListening(): void;
}

export interface ServerOptions {
  host: string;
  port: number;
  handler: HttpHandler;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /**
   * Replies the server makes itself before the handler runs (413 body too large, 408 body too
   * slow) pass through this with the request's Origin: the public port adds CORS headers, so a
   * page on another origin can read why it was refused; `path` (the request's, without its query)
   * lets the edge count the refusal in its intake log.
   */
  earlyReply?: (origin: string | undefined, reply: HttpReply, path: string) => HttpReply;
  /** Counts every answer by route template and status, with its duration and body size. */
  meter?: HttpMeter | undefined;
  /**
   * Every answer carries X-Request-Id: the caller's (when trusted and well formed) or a fresh
   * one, made before the handler runs (the handler uses it as the request's id).
   */
  requestIds?: { trustHeader: boolean } | undefined;
}

/**
 * The request headers handlers read. The servers pass only these on: reading every header
 * a browser sends costs a native callback each, on every request. Add a name here before
 * reading a new header.
 */
export const REQUEST_HEADERS: readonly string[] = [
  'content-length',
  'transfer-encoding',
  'content-type',
  'content-encoding',
  'origin',
  'user-agent',
  'referer',
  'x-forwarded-for',
  'access-control-request-headers',
  'authorization',
  // The demo's read route (GET /demo/profile) finds the visitor's profile by its tracker cookie.
  'cookie',
  // The private API's compare-and-set writes (PUT /destinations/{id}).
  'if-match',
];

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

const STATUS_LINES = new Map(Object.entries(STATUS_TEXT).map(([status, text]) => [Number(status), `${status} ${text}`]));

/** "201 Created": the status line of an answer, built once per status. */
export function statusLine(status: number): string {
  return STATUS_LINES.get(status) ?? `${status} ${STATUS_TEXT[status] ?? ''}`;
}
