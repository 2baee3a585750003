import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIngest, waitFor } from './helpers/servers.js';
import { rawRequest } from './helpers/rawHttp.js';
import { TcpProxy } from './helpers/TcpProxy.js';

let proxy: TcpProxy;
let ingest: TestIngest;

beforeAll(async () => {
  const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  proxy = await TcpProxy.start({ host: redis.hostname, port: Number(redis.port || 6379) });
  redis.host = `127.0.0.1:${proxy.port}`;
  ingest = await TestIngest.start({ redisUrl: redis.href });
});
afterAll(async () => {
  // Redis must answer again for the ingest to close cleanly.
  await proxy?.restore();
  await ingest?.close();
  await proxy?.close();
});

describe('GET /readyz', () => {
  it('is 200 while Redis answers and a mediasoup worker runs', async () => {
    const res = await rawRequest(ingest.url, { target: '/readyz' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ ok: true });
  });

  it('is 503 UNAVAILABLE, quickly, while Redis is unreachable, and recovers', async () => {
    await proxy.cut();
    const started = Date.now();
    const down = await waitFor(async () => {
      const res = await rawRequest(ingest.url, { target: '/readyz' });
      return res.status === 503 ? res : null;
    }, '/readyz to report the outage');
    expect(down.code).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    // Liveness is a different question: the process itself is fine.
    expect((await rawRequest(ingest.url, { target: '/healthz' })).status).toBe(200);

    await proxy.restore();
    await waitFor(
      async () => (await rawRequest(ingest.url, { target: '/readyz' })).status === 200,
      '/readyz to recover',
    );
  });
});
