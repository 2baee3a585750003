import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTP_STATUS, StagecastError, type ErrorBody } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { toStagecastError } from '../core/errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  url: URL;
}

export type RouteHandler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

/** Largest request body the server accepts, whatever the route (chunked bodies included). */
export const MAX_BODY_BYTES = 16 * 1024;

/** A small method + path router; `:name` segments become params. */
export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly logger: Logger) {}

  add(method: string, path: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (part === '*') {
          keys.push('rest');
          return '(.*)';
        }
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** Handles the request if a route matches; returns false otherwise. */
  async dispatch(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = parseTarget(req.url);
    if (!url) {
      sendError(res, new StagecastError('BAD_REQUEST', 'The request target is not a valid path'));
      return true;
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      // Refused before reading a byte of it.
      lingerOn(req, res);
      sendError(res, bodyTooLarge());
      return true;
    }
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      try {
        const params: Record<string, string> = {};
        route.keys.forEach((key, i) => {
          params[key] = decodeParam(match[i + 1] ?? '');
        });
        await route.handler({ req, res, params, url });
      } catch (error) {
        const err = toStagecastError(error);
        // Refusals are answers; an outage is logged by the Redis connections themselves.
        if (err.code === 'INTERNAL') this.logger.error({ err: error, path: url.pathname }, 'request failed');
        if (err.code === 'PAYLOAD_TOO_LARGE') lingerOn(req, res);
        if (!res.headersSent) sendError(res, err);
        else res.end();
      }
      return true;
    }
    if (pathMatched) {
      sendError(
        res,
        new StagecastError('BAD_REQUEST', `Method ${req.method ?? ''} is not allowed here`),
        405,
      );
      return true;
    }
    return false;
  }
}

/**
 * The request target as a URL, or null when it is not an origin-form path. `new URL(target,
 * base)` would read `//host/...` as an authority and throw on `//[`; prefixing the origin keeps
 * the rest a path.
 */
export function parseTarget(target: string | undefined): URL | null {
  // `//x:y@` names an authority, not a path; no route starts with an empty segment.
  if (!target?.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return null;
  }
}

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new StagecastError('BAD_REQUEST', 'The path has an invalid percent-encoding');
  }
}

function bodyTooLarge(): StagecastError {
  return new StagecastError('PAYLOAD_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  error: StagecastError,
  status = HTTP_STATUS[error.code],
): void {
  const body: ErrorBody = { error: error.toWire() };
  // HTTP clients and proxies read the wait from the header (whole seconds, RFC 9110).
  if ((status === 429 || status === 503) && error.retryAfterMs !== undefined)
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  sendJson(res, status, body);
}

/**
 * How long the rest of a refused body is read (and dropped) before the connection is cut: long
 * enough for a client on a busy machine or a slow link to read the answer first (nginx
 * lingers up to 30 s), short enough that an upload never ending costs little.
 */
const LINGER_MS = 10_000;

/**
 * After refusing a body: read and drop what is still coming for a moment, then cut the
 * connection if it has not ended. Closing at once with unread data makes the kernel reset the
 * connection, and the client may lose the answer before reading it.
 */
function lingerOn(req: IncomingMessage, res: ServerResponse): void {
  // A request that asked to close would have its socket destroyed as soon as the answer is
  // written (Node closes such connections at once), resetting it with the body still coming.
  // Kept open here, the lingering below decides when it goes.
  if (!res.headersSent) res.shouldKeepAlive = true;
  req.resume();
  if (req.readableEnded) return;
  const cut = setTimeout(() => req.socket.destroy(), LINGER_MS);
  cut.unref();
  req.once('end', () => clearTimeout(cut));
  req.once('close', () => clearTimeout(cut));
}

/** Reads a JSON body of at most MAX_BODY_BYTES; an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StagecastError('BAD_REQUEST', 'The request body is not valid JSON');
  }
}

/** Reads a body of at most MAX_BODY_BYTES as UTF-8 text (an SDP offer, say). */
export function readText(req: IncomingMessage): Promise<string> {
  // Events, not `for await`: leaving that loop early destroys the request and its socket.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (!refused) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
