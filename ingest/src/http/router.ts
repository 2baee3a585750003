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

/** Largest JSON body the API accepts. */
const MAX_BODY_BYTES = 16 * 1024;

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
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = safeDecode(match[i + 1] ?? '');
      });
      try {
        await route.handler({ req, res, params, url });
      } catch (error) {
        const err = toStagecastError(error);
        if (!(error instanceof StagecastError))
          this.logger.error({ err: error, path: url.pathname }, 'request failed');
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

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
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
  if (status === 429 && error.retryAfterMs !== undefined)
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  sendJson(res, status, body);
}

/** Reads a JSON body of at most MAX_BODY_BYTES; an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES)
      throw new StagecastError('PAYLOAD_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new StagecastError('BAD_REQUEST', 'The request body is not valid JSON');
  }
}
