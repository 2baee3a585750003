import type { IncomingMessage, ServerResponse } from 'node:http';
import { StagecastError } from '@stagecast/protocol';
import { sendError } from './router.js';

/** Methods the API answers to a page of an allowed origin. */
const API_METHODS = 'GET, HEAD, POST, PUT, DELETE';

/**
 * Which browser pages may use the API and Socket.IO. Requests without an `Origin` header
 * (Node clients, bots, the SDK outside a browser, curl) carry no page to trust or distrust, so
 * they pass; a browser always sends one on cross-origin and WebSocket requests, and a page of
 * another origin is refused instead of having its origin reflected back.
 */
export class OriginPolicy {
  private resolved: ReadonlySet<string> | undefined;

  /** `origins` may be a function: the default list names the port, known only once listening. */
  constructor(private readonly origins: readonly string[] | (() => readonly string[])) {}

  private get allowed(): ReadonlySet<string> {
    this.resolved ??= new Set(typeof this.origins === 'function' ? this.origins() : this.origins);
    return this.resolved;
  }

  allows(origin: string | undefined): boolean {
    return origin === undefined || this.allowed.has(origin);
  }

  /**
   * CORS for `/api/*`: answers a preflight itself, refuses a page of another origin with 403
   * FORBIDDEN, and otherwise adds the headers an allowed origin needs. Returns true when the
   * request has been answered.
   */
  handleApi(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    res.setHeader('vary', 'Origin');
    if (!this.allows(origin)) {
      sendError(
        res,
        new StagecastError('FORBIDDEN', 'This origin may not use the API (STAGECAST_ALLOWED_ORIGINS)'),
      );
      return true;
    }
    if (origin === undefined) return false;
    res.setHeader('access-control-allow-origin', origin);
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-methods': API_METHODS,
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
        })
        .end();
      return true;
    }
    return false;
  }
}
