import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { COMPOSITE_QUEUE, type ChatMessage, type LiveState } from '@stagecast/protocol';
import { ChatClient, connect, type Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { RedisServer } from './helpers/RedisServer.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/** Ports of this file's own redis-servers, one per way of stopping it. */
const PORTS = { shutdown: 6402, kill: 6403 } as const;
/** Generous for a loaded machine: reconnecting is ioredis' job, within a few seconds. */
const RECOVERY_MS = 30_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `sub` appears in `all` in the same order (other entries may come between). */
function isSubsequence(sub: string[], all: string[]): boolean {
  let i = 0;
  for (const id of all) if (id === sub[i]) i++;
  return i === sub.length;
}

describe.each([
  { how: 'SHUTDOWN', stop: (redis: RedisServer) => redis.shutdown(), port: PORTS.shutdown },
  { how: 'kill -9', stop: (redis: RedisServer) => redis.kill(), port: PORTS.kill },
])('Redis restarted ($how)', ({ stop, port }) => {
  it('loses no acknowledged chat message nor queued job, and ingest, chat and the adapter recover by themselves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagecast-redis-'));
    const redis = new RedisServer(port, dir);
    await redis.start();
    cleanups.push(async () => {
      if (!redis.running) await redis.start();
      await redis.kill();
      await rm(dir, { recursive: true, force: true });
    });
    // Two ingest processes: the viewer's messages come through the Socket.IO Redis adapter.
    const config = { redisUrl: redis.url, chat: { ratePoints: 1000, rateWindowSeconds: 10 } };
    const [a, b] = await Promise.all([TestIngest.start(config), TestIngest.start(config)]);
    cleanups.push(async () => {
      // Back up first, so that the servers close their Redis connections cleanly.
      if (!redis.running) await redis.start();
      await Promise.all([a.close(), b.close()]);
    });
    const queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redis.url } });
    queue.on('error', () => undefined);
    cleanups.push(() => queue.close().catch(() => queue.disconnect()));

    const roomId = (await a.createRoom('Restart')).id;
    const host: Room = await connect({ url: a.url, token: await a.token(roomId, 'host', 'Host') });
    const viewer: Room = await connect({ url: b.url, token: await b.token(roomId, 'viewer', 'Viewer') });
    cleanups.push(() => {
      host.close();
      viewer.close();
    });
    const hostChat = new ChatClient(host);
    const viewerChat = new ChatClient(viewer);
    const delivered: ChatMessage[] = [];
    viewerChat.on('message', (m) => delivered.push(m));

    const acked: ChatMessage[] = [];
    for (let i = 0; i < 10; i++) acked.push(await hostChat.send(`before ${i}`));
    const live: LiveState = await host.request('broadcast:start', {});
    const jobId = `${roomId}.${live.broadcastId}`;
    expect(await (await queue.getJob(jobId))?.getState()).toBe('waiting');
    await waitFor(() => delivered.length === acked.length, 'the viewer to get the messages before');

    // Messages keep coming while Redis goes away and comes back: each one the server
    // acknowledges must survive, whatever moment Redis stopped at.
    let sending = true;
    let sent = 0;
    const sender = (async () => {
      while (sending) {
        const message = await hostChat.send(`during ${sent++}`).catch(() => null);
        if (message) acked.push(message);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await stop(redis);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();

    // Ingest reconnects by itself.
    for (const server of [a, b]) {
      await waitFor(
        async () => (await fetch(`${server.url}/readyz`)).status === 200,
        'ingest to be ready again',
        RECOVERY_MS,
      );
    }
    const ackedBefore = acked.length;
    // The sender's retries bridge the outage: messages are acknowledged again.
    await waitFor(
      () => acked.length > ackedBefore + 3,
      'messages acknowledged after the restart',
      RECOVERY_MS,
    );
    sending = false;
    await sender;

    // Every acknowledged message is in the history, once, in order.
    const { body } = await a.api<{ messages: ChatMessage[] }>('GET', `/api/rooms/${roomId}/chat`);
    const history = body.messages.map((m) => m.id);
    expect(new Set(history).size).toBe(history.length);
    expect(
      isSubsequence(
        acked.map((m) => m.id),
        history,
      ),
    ).toBe(true);
    // The adapter delivers across processes again: the viewer gets the messages after the restart.
    const last = acked[acked.length - 1];
    await waitFor(
      () => delivered.some((m) => m.id === last?.id),
      'the last message to reach the viewer',
      RECOVERY_MS,
    );
    const after = await hostChat.send('after the restart');
    await waitFor(
      () => delivered.some((m) => m.id === after.id),
      'a new message to reach the viewer',
      RECOVERY_MS,
    );

    // The queued job survived, and a transcoder takes it.
    expect(await (await queue.getJob(jobId))?.getState()).toBe('waiting');
    const transcoder = TranscoderProcess.start({ dataDir: a.dataDir, redisUrl: redis.url });
    cleanups.push(() => transcoder.kill());
    await waitFor(
      async () => (await (await queue.getJob(jobId))?.getState()) === 'active',
      'a transcoder to take the job',
      RECOVERY_MS,
    );
    await host.request('broadcast:stop', {});
  }, 180_000);
});
