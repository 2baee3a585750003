import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { IngestServer, loadConfig, type IngestConfig } from '@stagecast/ingest';
import type { CreateRoomResponse, Role, StageEntry } from '@stagecast/protocol';
import { connect, type Room } from '@stagecast/sdk';

export const TEST_SECRET = 'test-secret-0123456789abcdefghijklmnop';

/** An ingest server on a free port with its own data directory, plus REST helpers. */
export class TestIngest {
  private constructor(
    readonly server: IngestServer,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {}

  static async start(overrides: Partial<IngestConfig> = {}): Promise<TestIngest> {
    const ownsDataDir = overrides.dataDir === undefined;
    const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'stagecast-test-')));
    const config = loadConfig(process.env, {
      port: 0,
      host: '127.0.0.1',
      apiSecret: TEST_SECRET,
      numWorkers: 1,
      logLevel: process.env.LOG_LEVEL ?? 'warn',
      ...overrides,
      dataDir,
    });
    return new TestIngest(await IngestServer.create(config), dataDir, ownsDataDir);
  }

  get url(): string {
    return this.server.url;
  }

  /** Calls the management API with the secret; returns status and parsed body. */
  async api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    secret = TEST_SECRET,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** `stageEntry`: where promoted viewers arrive (the server's default: backstage). */
  async createRoom(
    name = 'Test room',
    settings: { stageEntry?: StageEntry } = {},
  ): Promise<CreateRoomResponse> {
    const { status, body } = await this.api<CreateRoomResponse>('POST', '/api/rooms', { name, ...settings });
    if (status !== 201) throw new Error(`createRoom: HTTP ${status}`);
    return body;
  }

  async token(roomId: string, role: Role, name: string): Promise<string> {
    const { status, body } = await this.api<{ token: string }>('POST', `/api/rooms/${roomId}/tokens`, {
      role,
      name,
    });
    if (status !== 201) throw new Error(`token: HTTP ${status}`);
    return body.token;
  }

  /** Connects an SDK client with a fresh token. */
  async join(roomId: string, role: Role, name: string): Promise<Room> {
    return connect({ url: this.url, token: await this.token(roomId, role, name), reconnect: false });
  }

  async close(): Promise<void> {
    await this.server.close();
    if (this.ownsDataDir && !process.env.KEEP_TEST_DATA)
      await rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A Redis database of the test file's own, emptied first: compositor jobs left by an
 * interrupted run (or by another file) must not occupy this file's transcoders.
 */
export async function ownRedisDatabase(db: number): Promise<string> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  const redis = new Redis(url.href);
  await redis.flushdb();
  await redis.quit();
  return url.href;
}

/**
 * How long a browser test waits for a stage change to reach the picture on air, while
 * browsers, bots and the compositor share 2 cores: headroom for a loaded machine. The
 * product's own bound (4 s) is asserted where it is the feature, in broadcast.test.ts.
 */
export const ON_AIR_MS = 60_000;

/** Resolves when `check` returns a truthy value; polls, because the condition spans processes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port free on 127.0.0.1 now, for a process the test starts itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
