import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { postWebhook } from './postWebhook.js';
import { WebhookTargetRefusedError } from './webhookTarget.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A real HTTP server on 127.0.0.1 answering `status` (and `location`), keeping what it got. */
async function receiver(status = 204, location?: string) {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(status, location ? { location } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, got };
}

const post = (url: string, selfPort: number) =>
  postWebhook(
    new URL(url),
    { 'content-type': 'application/json' },
    '{"a":1}',
    { port: () => selfPort },
    2000,
  );

describe('postWebhook', () => {
  it('refuses, before sending anything, a name that resolves to this server (its port on this machine)', async () => {
    const ingest = await receiver();
    for (const url of [`http://${hostname()}:${ingest.port}/api/rooms`, `http://localhost:${ingest.port}/`]) {
      const refused = await post(url, ingest.port).catch((e: unknown) => e);
      expect(refused, url).toBeInstanceOf(WebhookTargetRefusedError);
      expect((refused as WebhookTargetRefusedError).code).toBe('WEBHOOK_URL_INVALID');
      expect((refused as Error).message, url).toMatch(/^must not point at this server itself/);
    }
    const named = await post(`http://${hostname()}:${ingest.port}/`, ingest.port).catch(
      (e: Error) => e.message,
    );
    expect(named).toContain(`${hostname().toLowerCase()} resolves to 127.0.0.1`);
    expect(ingest.got).toEqual([]);
  });

  it('delivers to a receiver on another local port by name, with the name as Host', async () => {
    const hooks = await receiver(204);
    expect(await post(`http://localhost:${hooks.port}/hooks`, hooks.port + 1)).toBe(204);
    expect(hooks.got).toHaveLength(1);
    expect(hooks.got[0]?.body).toBe('{"a":1}');
    expect(hooks.got[0]?.headers.host).toBe(`localhost:${hooks.port}`);
  });

  it('does not follow a redirect (to this server or anywhere)', async () => {
    const ingest = await receiver();
    const hooks = await receiver(302, `http://127.0.0.1:${ingest.port}/api/rooms`);
    expect(await post(`http://localhost:${hooks.port}/hooks`, ingest.port)).toBe(302);
    expect(ingest.got).toEqual([]);
  });

  it('keeps the name for TLS (SNI) while connecting to the checked address', async () => {
    const names: string[] = [];
    // No certificate: the server only records the name the client asks for, then hangs up.
    const tls = createTlsServer({
      SNICallback: (name, done) => {
        names.push(name);
        done(new Error('no certificate here'), undefined);
      },
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    closers.push(() => tls.close());
    const port = (tls.address() as AddressInfo).port;
    const failed = await post(`https://localhost:${port}/hooks`, port + 1).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(failed).not.toBeInstanceOf(WebhookTargetRefusedError);
    expect(names).toEqual(['localhost']);
    // The same server on the ingest port is this server: no handshake at all.
    const refused = await post(`https://${hostname()}:${port}/hooks`, port).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebhookTargetRefusedError);
    expect(names).toEqual(['localhost']);
  });
});
