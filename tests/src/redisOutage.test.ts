import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { COMPOSITE_QUEUE, type AckResult, type ErrorBody, type LiveState } from '@stagecast/protocol';
import { connect, StagecastClientError, type Room } from '@stagecast/sdk';
import { ownRedisDatabase, TEST_SECRET, TestIngest, waitFor } from './helpers/servers.js';
import { RawClient } from './helpers/rawClient.js';
import { TcpProxy } from './helpers/TcpProxy.js';
import { RedisServer } from './helpers/RedisServer.js';

// Ingest reaches Redis through a relay the test cuts: an outage as ingest sees it.
let proxy: TcpProxy;
let ingest: TestIngest;
let queue: Queue;
let roomId: string;
let host: RawClient;
let viewer: RawClient;

/** Generous for a loaded machine, and still far from "hangs". */
const FAST_MS = 5000;
/** A redis-server of this file's own, which the last test freezes. */
const HUNG_REDIS_PORT = 6404;

beforeAll(async () => {
  const redisUrl = new URL(await ownRedisDatabase(2));
  queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisUrl.href } });
  proxy = await TcpProxy.start({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  redisUrl.host = `127.0.0.1:${proxy.port}`;
  ingest = await TestIngest.start({ redisUrl: redisUrl.href });
  roomId = (await ingest.createRoom('Outage')).id;
  host = await RawClient.connect(ingest.url, await ingest.token(roomId, 'host', 'Host'), roomId);
  viewer = await RawClient.connect(ingest.url, await ingest.token(roomId, 'viewer', 'Viewer'), roomId);
});

afterAll(async () => {
  host?.close();
  viewer?.close();
  await proxy?.restore();
  await ingest?.close();
  await proxy?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
});

/** The management API, answered as it is (status, headers). */
function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(ingest.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_SECRET}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Runs `fn`, returning its result and how long it took. */
async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
}

function expectUnavailable(ack: AckResult<unknown>): void {
  expect(ack.ok).toBe(false);
  if (ack.ok) return;
  expect(ack.error.code).toBe('UNAVAILABLE');
  expect(ack.error.message).toMatch(/try again/);
  expect(ack.error.retryAfterMs).toBeGreaterThan(0);
}

async function expect503(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('1');
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe('UNAVAILABLE');
}

describe('while Redis is unreachable', () => {
  it('requests fail fast with UNAVAILABLE instead of hanging, and work again once it is back', async () => {
    const lateToken = await ingest.token(roomId, 'viewer', 'Late');
    await proxy.cut();

    const socketStart = await timed(() => host.request('broadcast:start', {}));
    expectUnavailable(socketStart.result);
    expect(socketStart.ms).toBeLessThan(FAST_MS);

    const restStart = await timed(() => api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'start' }));
    await expect503(restStart.result);
    expect(restStart.ms).toBeLessThan(FAST_MS);

    // Other requests that need Redis: chat, hands, the rooms API, a new connection.
    const chat = await timed(() =>
      viewer.request('chat:send', { clientId: 'during-outage', text: 'hello?' }),
    );
    expectUnavailable(chat.result);
    expect(chat.ms).toBeLessThan(FAST_MS);
    expectUnavailable(await viewer.request('hand:raise', {}));
    await expect503(await api('GET', '/api/rooms'));
    const refused = await timed(async () =>
      connect({ url: ingest.url, token: lateToken, reconnect: false }).then(
        (room) => {
          room.close();
          return null;
        },
        (error: unknown) => error,
      ),
    );
    expect(refused.result).toBeInstanceOf(StagecastClientError);
    expect((refused.result as StagecastClientError).code).toBe('UNAVAILABLE');
    expect(refused.ms).toBeLessThan(FAST_MS);
    // Readiness says so meanwhile; liveness does not.
    expect((await api('GET', '/readyz')).status).toBe(503);
    expect((await api('GET', '/healthz')).status).toBe(200);

    await proxy.restore();
    const started = await waitFor(async () => {
      const ack = await host.request('broadcast:start', {});
      return ack.ok ? (ack.data as LiveState) : null;
    }, 'broadcast:start once Redis is back');
    expect(started.state).toBe('starting');
    // The refused starts left nothing behind: exactly one job, the one that was accepted.
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
    expect(jobs.map((job) => job.id)).toEqual([`${roomId}.${started.broadcastId}`]);
    const sent = await viewer.request('chat:send', { clientId: 'after-outage', text: 'back' });
    expect(sent.ok).toBe(true);
    expect((await api('GET', '/readyz')).status).toBe(200);
  });

  it('the SDK reconnects by itself after its reconnection was refused during the outage', async () => {
    const token = await ingest.token(roomId, 'viewer', 'Reconnecting');
    const room: Room = await connect({ url: ingest.url, token, reconnect: true });
    try {
      const refusals: string[] = [];
      room.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
        if (err.data?.code) refusals.push(err.data.code);
      });
      const reconnected = new Promise<void>((resolve) => room.on('reconnected', () => resolve()));
      await proxy.cut();
      // The connection drops while Redis is away: the server refuses its comeback.
      room.socket.io.engine.close();
      await waitFor(() => refusals.length >= 1, 'a refused reconnection');
      expect(refusals[0]).toBe('UNAVAILABLE');
      await proxy.restore();
      await reconnected;
      expect(room.connected).toBe(true);
    } finally {
      await proxy.restore();
      room.close();
    }
  });
});

describe('while Redis accepts connections but does not answer', () => {
  it('requests fail with UNAVAILABLE after STAGECAST_REDIS_TIMEOUT_MS, and work again once it answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagecast-redis-'));
    const redis = new RedisServer(HUNG_REDIS_PORT, dir);
    await redis.start();
    const server = await TestIngest.start({ redisUrl: redis.url, redisTimeoutMs: 1000 });
    let client: RawClient | undefined;
    try {
      const room = (await server.createRoom('Hung')).id;
      const host = await RawClient.connect(server.url, await server.token(room, 'host', 'Host'), room);
      client = host;
      redis.pause();
      const start = await timed(() => host.request('broadcast:start', {}));
      expectUnavailable(start.result);
      expect(start.ms).toBeLessThan(FAST_MS);
      const chat = await timed(() => host.request('chat:send', { clientId: 'hung', text: 'anyone?' }));
      expectUnavailable(chat.result);
      expect(chat.ms).toBeLessThan(FAST_MS);

      redis.resume();
      await waitFor(
        async () => (await host.request('broadcast:start', {})).ok,
        'broadcast:start once Redis answers',
      );
    } finally {
      redis.resume();
      client?.close();
      await server.close();
      await redis.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
