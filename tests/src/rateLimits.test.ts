import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type IngestConfig } from '@stagecast/ingest';
import type { ConnectErrorData, ErrorBody, JoinResponse } from '@stagecast/protocol';
import { connect, StagecastClientError } from '@stagecast/sdk';
import { RawClient } from './helpers/rawClient.js';
import { redisAnswers } from './helpers/RedisServer.js';
import { ownRedisDatabase, TEST_SECRET, TestIngest, waitFor } from './helpers/servers.js';

// Two ingest processes on one Redis database of this file's own, behind one trusted proxy, so
// that each test speaks from addresses of its own (X-Forwarded-For) and counts start at zero.
let a: TestIngest;
let b: TestIngest;
let viewerCode: string;
let roomId: string;
const clients: RawClient[] = [];
let nextAddress = 1;

/** A client address no other test uses. */
const freshIp = () => `198.51.100.${nextAddress++}`;

/** Small limits, so that a burst over each takes a few requests. */
function limitedConfig(redisUrl: string): Partial<IngestConfig> {
  const defaults = loadConfig({ STAGECAST_API_SECRET: TEST_SECRET });
  return {
    redisUrl,
    chat: { ratePoints: 2, rateWindowSeconds: 60 },
    limits: {
      ...defaults.limits,
      join: { perSecond: 1, burst: 3 },
      connect: { perSecond: 1, burst: 3 },
      snapshot: { points: 3, windowSeconds: 60 },
      hand: { points: 4, windowSeconds: 60 },
      secretFailure: { points: 5, windowSeconds: 60 },
      chatIp: { points: 4, windowSeconds: 60 },
      trustProxy: 1,
    },
  };
}

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(7);
  [a, b] = await Promise.all([
    TestIngest.start(limitedConfig(redisUrl)),
    TestIngest.start(limitedConfig(redisUrl)),
  ]);
  const room = await a.createRoom('Limits');
  roomId = room.id;
  viewerCode = room.links.viewer.split('/').pop() ?? '';
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([a?.close(), b?.close()]);
});

async function joinFrom(server: TestIngest, ip: string, name = 'Viewer') {
  const res = await fetch(`${server.url}/api/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ code: viewerCode, name }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as unknown,
  };
}

/** A viewer who joined through the viewer link from `ip`, connected from `ip`. */
async function viewerFrom(server: TestIngest, ip: string, name: string): Promise<RawClient> {
  const joined = await joinFrom(server, ip, name);
  expect(joined.status).toBe(200);
  const client = await RawClient.connect(server.url, (joined.body as JoinResponse).token, roomId, {
    'x-forwarded-for': ip,
  });
  clients.push(client);
  return client;
}

async function apiFrom(server: TestIngest, ip: string, secret: string) {
  const res = await fetch(`${server.url}/api/rooms`, {
    headers: { authorization: `Bearer ${secret}`, 'x-forwarded-for': ip },
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as unknown,
  };
}

function expectRateLimitedBody(body: unknown): void {
  const { error } = body as ErrorBody;
  expect(error.code).toBe('RATE_LIMITED');
  expect(error.retryAfterMs).toBeGreaterThan(0);
}

describe('rate limits', () => {
  it('joins per IP: a burst over the limit gets 429 with Retry-After, shared by both processes', async () => {
    const ip = freshIp();
    // The steady point and the burst allowance, half of them on each process.
    for (const server of [a, a, b, b]) expect((await joinFrom(server, ip)).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => joinFrom(i % 2 ? a : b, ip)));
    const refused = burst.filter((r) => r.status === 429);
    // At most one more steady point can have come due while the burst was sent.
    expect(refused.length).toBeGreaterThanOrEqual(8);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expectRateLimitedBody(r.body);
    }
    // Another address is not affected.
    expect((await joinFrom(b, freshIp())).status).toBe(200);
  });

  it('Socket.IO connections per IP are refused in the handshake with RATE_LIMITED and a wait', async () => {
    const ip = freshIp();
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => a.token(roomId, 'viewer', `Connection ${i}`)),
    );
    const attempt = (server: TestIngest, token: string) =>
      RawClient.connect(server.url, token, roomId, { 'x-forwarded-for': ip }).then(
        (client) => {
          client.close();
          return null;
        },
        (error: Error & { data?: ConnectErrorData }) => error,
      );
    // The steady point and the burst allowance, on both processes.
    for (const [i, server] of [a, b, a, b].entries())
      expect(await attempt(server, tokens[i] ?? '')).toBeNull();
    const burst = await Promise.all(tokens.slice(4).map((token, i) => attempt(i % 2 ? a : b, token)));
    const refused = burst.filter((error) => error !== null);
    // At most one more steady point can have come due while the burst was sent.
    expect(refused.length).toBeGreaterThanOrEqual(5);
    for (const error of refused) {
      expect(error.data?.code).toBe('RATE_LIMITED');
      expect(error.data?.retryAfterMs).toBeGreaterThan(0);
    }
    // A well-behaved client from elsewhere still connects.
    const token = await a.token(roomId, 'viewer', 'Elsewhere');
    clients.push(await RawClient.connect(a.url, token, roomId, { 'x-forwarded-for': freshIp() }));
  });

  it('the SDK reports a refused connection as RATE_LIMITED with retryAfterMs', async () => {
    // The SDK connects from the test's own address: spend that address's connections first.
    const sdkIp = '127.0.0.1';
    let error: unknown = null;
    // A steady point comes due every second; a round that straddles one is tried again.
    for (let round = 0; round < 5 && !(error instanceof StagecastClientError); round++) {
      const tokens = await Promise.all(
        Array.from({ length: 6 }, (_, i) => a.token(roomId, 'viewer', `Spender ${round}-${i}`)),
      );
      await Promise.all(
        tokens.map((token) =>
          RawClient.connect(b.url, token, roomId, { 'x-forwarded-for': sdkIp }).then(
            (client) => client.close(),
            () => undefined,
          ),
        ),
      );
      const token = await a.token(roomId, 'viewer', `SDK ${round}`);
      error = await connect({ url: a.url, token, reconnect: false }).then(
        (room) => {
          room.close();
          return null;
        },
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(StagecastClientError);
    expect((error as StagecastClientError).code).toBe('RATE_LIMITED');
    expect((error as StagecastClientError).retryAfterMs).toBeGreaterThan(0);
  });

  it('join snapshots per peer', async () => {
    const viewer = await viewerFrom(a, freshIp(), 'Snapshot asker');
    // The connection asked for one already.
    expect((await viewer.request('room:join', {})).ok).toBe(true);
    expect((await viewer.request('room:join', {})).ok).toBe(true);
    const refused = await viewer.request('room:join', {});
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('RATE_LIMITED');
      expect(refused.error.retryAfterMs).toBeGreaterThan(0);
    }
    // Another peer is served, and the limited one still gets other requests answered.
    const other = await viewerFrom(b, freshIp(), 'Other asker');
    expect((await other.request('room:join', {})).ok).toBe(true);
    expect((await viewer.request('hand:raise', {})).ok).toBe(true);
  });

  it('hand toggles per peer', async () => {
    const viewer = await viewerFrom(a, freshIp(), 'Toggler');
    for (let i = 0; i < 4; i++) {
      const result = await viewer.request(i % 2 ? 'hand:lower' : 'hand:raise', {});
      expect(result.ok).toBe(true);
    }
    const refused = await viewer.request('hand:raise', {});
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('RATE_LIMITED');
      expect(refused.error.retryAfterMs).toBeGreaterThan(0);
    }
    const other = await viewerFrom(b, freshIp(), 'Calm raiser');
    expect((await other.request('hand:raise', {})).ok).toBe(true);
  });

  it('a burst of wrong API secrets gets 429, counted across both processes; the right secret from elsewhere works', async () => {
    const ip = freshIp();
    // Right secrets are not counted.
    for (let i = 0; i < 3; i++) expect((await apiFrom(a, ip, TEST_SECRET)).status).toBe(200);
    for (const server of [a, b, a, b, a])
      expect((await apiFrom(server, ip, 'wrong-secret')).status).toBe(401);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => apiFrom(i % 2 ? a : b, ip, 'guess')),
    );
    for (const r of burst) {
      expect(r.status).toBe(429);
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expectRateLimitedBody(r.body);
    }
    // While over the limit, the address is refused whatever it sends.
    expect((await apiFrom(b, ip, TEST_SECRET)).status).toBe(429);
    expect((await apiFrom(b, freshIp(), TEST_SECRET)).status).toBe(200);
  });

  it('chat per IP per room: fresh identities from one address share a limit', async () => {
    const ip = freshIp();
    const send = (client: RawClient, n: number) =>
      client.request('chat:send', { clientId: `m-${Date.now()}-${n}-${Math.random()}`, text: `hello ${n}` });
    const first = await viewerFrom(a, ip, 'Flooder 1');
    const second = await viewerFrom(b, ip, 'Flooder 2');
    expect((await send(first, 1)).ok).toBe(true);
    expect((await send(first, 2)).ok).toBe(true);
    // The per-person limit (2) holds.
    const personal = await send(first, 3);
    expect(personal.ok ? null : personal.error.code).toBe('RATE_LIMITED');
    expect((await send(second, 4)).ok).toBe(true);
    expect((await send(second, 5)).ok).toBe(true);
    // A fresh identity from the same address is over the address's limit (4) at once.
    const third = await viewerFrom(a, ip, 'Flooder 3');
    const refused = await send(third, 6);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('RATE_LIMITED');
      expect(refused.error.retryAfterMs).toBeGreaterThan(0);
    }
    // Others in the room keep chatting, and so does a host behind the same address.
    const neighbour = await viewerFrom(b, freshIp(), 'Neighbour');
    expect((await send(neighbour, 7)).ok).toBe(true);
    const hostToken = await a.token(roomId, 'host', 'Host');
    const host = await RawClient.connect(a.url, hostToken, roomId, { 'x-forwarded-for': ip });
    clients.push(host);
    expect((await send(host, 8)).ok).toBe(true);
  });
});

describe('rate limits while Redis is down', () => {
  let redisProcess: ChildProcess | undefined;
  let port: number;
  let server: TestIngest | undefined;

  const startRedis = async () => {
    redisProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(() => redisAnswers(port), 'redis-server to answer');
  };

  const stopRedis = async () => {
    const child = redisProcess;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    const config = limitedConfig(`redis://127.0.0.1:${port}`);
    server = await TestIngest.start(config);
  });

  afterAll(async () => {
    // Back up first, so that the server closes its Redis connections cleanly.
    if (redisProcess?.exitCode !== null) await startRedis().catch(() => undefined);
    await server?.close();
    await stopRedis();
  });

  it('neither crashes nor locks everyone out: each process limits on its own until Redis is back', async () => {
    if (!server) throw new Error('no server');
    const ingest = server;
    await stopRedis();
    const ip = freshIp();
    // Wrong secrets are still answered at once, and still limited.
    for (let i = 0; i < 5; i++) expect((await apiFrom(ingest, ip, 'wrong-secret')).status).toBe(401);
    const refused = await apiFrom(ingest, ip, 'wrong-secret');
    expect(refused.status).toBe(429);
    expectRateLimitedBody(refused.body);
    // Another address is not locked out.
    expect((await apiFrom(ingest, freshIp(), 'wrong-secret')).status).toBe(401);

    await startRedis();
    await waitFor(
      async () => (await ingest.api('GET', '/api/rooms')).status === 200,
      'the API after Redis is back',
    );
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
