import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The error code of a Stagecast error body, if the body is one. */
  code: string | undefined;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as given: `fetch` would normalise `..`, `//` and bad percent-encoding away. */
  target: string;
  headers?: Record<string, string>;
  /** Written as one body (with Content-Length). */
  body?: string;
  /** Written one after the other with chunked transfer encoding, until the server answers. */
  chunks?: Iterable<string>;
}

/** One HTTP request with a raw request target, through `node:http` (no URL parsing on our side). */
export function rawRequest(base: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const client = request(
      {
        host: hostname,
        port,
        method: req.method ?? 'GET',
        path: req.target,
        headers: {
          connection: 'close',
          // node:http sends a GET body without a length, which the server would read as a new request.
          ...(req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }),
          ...req.headers,
        },
        agent: false,
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, code });
        });
      },
    );
    // A server that answers early and closes may reset an upload still under way.
    client.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (req.chunks) {
      const chunks = req.chunks[Symbol.iterator]();
      const writeNext = (): void => {
        if (answered || client.destroyed) return void client.end();
        const next = chunks.next();
        if (next.done) return void client.end();
        client.write(next.value, () => setImmediate(writeNext));
      };
      writeNext();
    } else {
      client.end(req.body);
    }
  });
}
