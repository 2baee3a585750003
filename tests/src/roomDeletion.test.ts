import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { HandEntry } from '@stagecast/protocol';
import { ChatClient, HandsClient, type Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';

let ingest: TestIngest;
let redis: Redis;
const clients: Room[] = [];

beforeAll(async () => {
  ingest = await TestIngest.start();
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});

afterAll(async () => {
  for (const client of clients) client.close();
  await ingest?.close();
  await redis?.quit();
});

async function keysNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${text}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('DELETE /api/rooms/:id', () => {
  it('leaves no Redis key naming the room, nor its live HLS folder, and keeps recordings by default', async () => {
    const { id } = await ingest.createRoom('Short-lived');
    const host = await ingest.join(id, 'host', 'Host');
    const viewer = await ingest.join(id, 'viewer', 'Viewer');
    clients.push(host, viewer);

    const hostHands = new HandsClient(host);
    let queue: HandEntry[] = [];
    hostHands.on('queue', (q) => (queue = q));
    await new ChatClient(viewer).send('Hello');
    await new HandsClient(viewer).raise('A question');
    await waitFor(() => queue.length === 1, 'the raised hand');
    await hostHands.invite(queue[0]!.peerId);
    expect(
      (await ingest.api('PUT', `/api/rooms/${id}/layout`, { mode: 'grid', pinnedPeerId: null })).status,
    ).toBe(200);
    expect((await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'start' })).status).toBe(200);

    const live = join(ingest.dataDir, 'hls', id, 'master.m3u8');
    const recording = join(ingest.dataDir, 'vod', id, 'b1', 'master.m3u8');
    for (const file of [live, recording]) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, '#EXTM3U\n');
    }
    const before = await keysNaming(id);
    expect(before.length).toBeGreaterThan(5);

    expect((await ingest.api('DELETE', `/api/rooms/${id}`)).status).toBe(204);
    // Disconnect handlers run after the answer; give them time to (wrongly) write anything back.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await keysNaming(id)).toEqual([]);
    expect(await exists(live)).toBe(false);
    expect(await exists(recording)).toBe(true);
  });

  it('deletes the recordings too with STAGECAST_DELETE_RECORDINGS=true', async () => {
    const purging = await TestIngest.start({ deleteRecordings: true });
    try {
      const { id } = await purging.createRoom('Purged');
      const recording = join(purging.dataDir, 'vod', id, 'b1', 'master.m3u8');
      await mkdir(join(recording, '..'), { recursive: true });
      await writeFile(recording, '#EXTM3U\n');
      expect((await purging.api('DELETE', `/api/rooms/${id}`)).status).toBe(204);
      expect(await exists(join(purging.dataDir, 'vod', id))).toBe(false);
      expect(await keysNaming(id)).toEqual([]);
    } finally {
      await purging.close();
    }
  });
});
