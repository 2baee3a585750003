import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';
import { StagecastError } from '@stagecast/protocol';
import type { Router } from './router.js';
import { appPageHeaders } from './securityHeaders.js';

export const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.vtt': 'text/vtt; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** One path segment of a served file: no dot-files, no `..`, nothing exotic. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

export function notFound(): StagecastError {
  return new StagecastError('NOT_FOUND', 'No such file');
}

/**
 * Streams `rest` (a relative path) from under `base`, refusing anything that could leave it.
 * Returns the file's extension.
 */
export async function sendFile(
  res: ServerResponse,
  base: string,
  rest: string,
  headers: Record<string, string>,
  head = false,
): Promise<void> {
  const segments = rest.split('/');
  if (
    segments.length === 0 ||
    segments.length > 6 ||
    !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))
  ) {
    throw notFound();
  }
  const root = resolve(base);
  const file = resolve(join(root, ...segments));
  if (!file.startsWith(root + sep)) throw notFound();
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw notFound();
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(info.size),
    ...headers,
  });
  if (head) return void res.end();
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', () => done());
    stream.pipe(res);
  });
}

/** The built UIs; `connectOrigins`: see `appPageHeaders`. */
export function registerStaticRoutes(
  router: Router,
  uiRoot: string,
  frameAncestors: string,
  connectOrigins: readonly string[],
): void {
  const apps = [
    { prefix: 'host', dir: join(uiRoot, 'broadcaster-ui', 'dist') },
    { prefix: 'watch', dir: join(uiRoot, 'viewer-ui', 'dist') },
  ];
  for (const { prefix, dir } of apps) {
    const page = async ({ res }: { res: ServerResponse }) =>
      sendFile(res, dir, 'index.html', {
        'cache-control': 'no-cache',
        ...appPageHeaders(frameAncestors, connectOrigins),
      }).catch(() => {
        throw new StagecastError('UNAVAILABLE', `The ${prefix} app is not built; run "npm run build"`);
      });
    router.add('GET', `/${prefix}/:code`, page);
    router.add('GET', `/embed/${prefix}/:code`, page);
    router.add('GET', `/app/${prefix}/*`, ({ req, res, params }) =>
      sendFile(
        res,
        dir,
        params.rest ?? '',
        { 'cache-control': 'public, max-age=3600' },
        req.method === 'HEAD',
      ),
    );
  }
}
