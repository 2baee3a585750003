import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandEntry } from '@stagecast/protocol';
import { Redis } from 'ioredis';
import { HandsClient, connect, type Room } from '@stagecast/sdk';
import { freePort, TestIngest, TEST_SECRET, waitFor } from './helpers/servers.js';

// Two ingest processes on one Redis; the one holding the room's media (its stage), the
// audience and a raised hand is killed without any chance to clean up, as in a crash or an
// OOM kill.
const PRESENCE_TTL_MS = 6000;
const MAX_STAGE = 2;
/** Short, so that the survivor may take the dead owner's stage within the test's 30 s. */
const MEDIA_LEASE_MS = 3000;
const mainJs = fileURLToPath(new URL('../../ingest/dist/main.js', import.meta.url));

let survivor: TestIngest;
let child: ChildProcess | undefined;
let childUrl: string;
let dataDir: string;
const clients: Room[] = [];
const rooms: string[] = [];

beforeAll(async () => {
  survivor = await TestIngest.start({
    presenceTtlMs: PRESENCE_TTL_MS,
    maxStage: MAX_STAGE,
    mediaLeaseMs: MEDIA_LEASE_MS,
  });
  dataDir = await mkdtemp(join(tmpdir(), 'stagecast-crash-'));
  const port = await freePort();
  childUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [mainJs], {
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      STAGECAST_HOST: '127.0.0.1',
      STAGECAST_API_SECRET: TEST_SECRET,
      STAGECAST_DATA_DIR: dataDir,
      STAGECAST_WORKERS: '1',
      STAGECAST_MAX_STAGE: String(MAX_STAGE),
      STAGECAST_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      STAGECAST_MEDIA_LEASE_MS: String(MEDIA_LEASE_MS),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor(async () => (await fetch(`${childUrl}/healthz`)).ok, 'the second ingest process', 30_000);
}, 45_000);

afterAll(async () => {
  for (const client of clients) client.close();
  child?.kill('SIGKILL');
  for (const id of rooms) await survivor.api('DELETE', `/api/rooms/${id}`);
  await survivor?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function joinChild(roomId: string, role: 'viewer' | 'cohost' | 'host', name: string): Promise<Room> {
  const token = await survivor.token(roomId, role, name);
  const room = await connect({ url: childUrl, token, reconnect: false });
  clients.push(room);
  return room;
}

describe('presence after an ingest crash', () => {
  it('drops the crashed process’s viewers, stage seat and raised hand within 30 s', async () => {
    const { id } = await survivor.createRoom('Crash');
    rooms.push(id);
    // Stage roles join the process that owns the room's media: the one about to crash.
    const host = await joinChild(id, 'host', 'Host');
    let queue: HandEntry[] = [];
    new HandsClient(host).on('queue', (q) => (queue = q));
    await joinChild(id, 'cohost', 'Co-host');
    const viewers = await Promise.all(['V1', 'V2', 'V3'].map((n) => joinChild(id, 'viewer', n)));
    await new HandsClient(viewers[0]!).raise('Still there?');

    // A ghost left by a version without expiry: an entry with no expiry score.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await redis.hset(
      `stagecast:room:${id}:presence`,
      'old-ghost',
      JSON.stringify({ peerId: 'old-ghost', name: 'Ghost', role: 'viewer', socketId: 'gone', since: 0 }),
    );
    await redis.quit();

    const viewerCount = async () =>
      (await survivor.api<{ viewers: number }>('GET', `/api/rooms/${id}`)).body.viewers;
    await waitFor(async () => (await viewerCount()) === 3, 'three viewers counted');
    await waitFor(() => queue.length === 1, 'the raised hand in the host’s queue');
    // Host and co-host fill the stage: another co-host is refused until the seat frees up.
    await expect(survivor.join(id, 'cohost', 'Second co-host')).rejects.toMatchObject({ code: 'STAGE_FULL' });

    child!.kill('SIGKILL');
    const killedAt = Date.now();

    await waitFor(async () => (await viewerCount()) === 0, 'the ghost viewers to go', 30_000, 250);
    // Once the seats and the media lease of the dead process expire, the survivor seats a new
    // host and a co-host, and the new host's queue has no ghost hand.
    const newHost = await waitFor(
      () => survivor.join(id, 'host', 'New host').catch(() => null),
      'the ghost stage seats to free up',
      30_000,
      250,
    );
    clients.push(newHost);
    const hands = new HandsClient(newHost);
    await waitFor(() => hands.queue.length === 0, 'the ghost hand to drop', 30_000, 250);
    const seated = await survivor.join(id, 'cohost', 'Second co-host');
    clients.push(seated);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
  }, 45_000);
});
