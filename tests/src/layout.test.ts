import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  COMPOSITE_QUEUE,
  DEFAULT_LAYOUT,
  type BroadcastProgress,
  type CompositeJobData,
  type ErrorBody,
  type LayoutChoice,
  type LiveState,
  type Role,
  type RoomInfo,
} from '@stagecast/protocol';
import { ownRedisDatabase, TEST_SECRET, TestIngest, waitFor } from './helpers/servers.js';
import { RawClient } from './helpers/rawClient.js';

let ingest: TestIngest;
let redis: Redis;
let queue: Queue<CompositeJobData>;
const clients: RawClient[] = [];

beforeAll(async () => {
  // A database of its own: the broadcast started below leaves a job no transcoder should take.
  const redisUrl = await ownRedisDatabase(6);
  ingest = await TestIngest.start({ redisUrl, maxStage: 4 });
  redis = new Redis(redisUrl);
  queue = new Queue<CompositeJobData>(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await queue?.close();
  await ingest?.close();
  await redis?.quit();
});

async function join(roomId: string, role: Role, name: string): Promise<RawClient> {
  const client = await RawClient.connect(ingest.url, await ingest.token(roomId, role, name), roomId);
  clients.push(client);
  return client;
}

const layoutPath = (roomId: string) => `/api/rooms/${roomId}/layout`;

async function putLayout(
  roomId: string,
  body: unknown,
): Promise<{ status: number; body: LayoutChoice & Partial<ErrorBody> }> {
  return ingest.api<LayoutChoice & Partial<ErrorBody>>('PUT', layoutPath(roomId), body);
}

describe('layout choice over REST', () => {
  it('starts at the default, saves a choice, tells the room and gives it to later joins', async () => {
    const { id } = await ingest.createRoom('Layouts');
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(DEFAULT_LAYOUT);
    const host = await join(id, 'host', 'Host');
    expect(host.snapshot.layout).toEqual(DEFAULT_LAYOUT);
    const viewer = await join(id, 'viewer', 'Viewer');
    const heard = viewer.record('broadcast:layout');

    const grid: LayoutChoice = { mode: 'grid', pinnedPeerId: null };
    const saved = await putLayout(id, grid);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual(grid);
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(grid);
    await waitFor(() => heard.length === 1, 'the viewer to hear the layout');
    expect(heard[0]).toEqual(grid);
    expect((await join(id, 'cohost', 'Late')).snapshot.layout).toEqual(grid);

    // Spotlight on someone on stage (the host).
    const spotlight: LayoutChoice = { mode: 'spotlight', pinnedPeerId: host.snapshot.self.peerId };
    expect((await putLayout(id, spotlight)).body).toEqual(spotlight);
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(spotlight);
  });

  it('refuses bad choices with stable codes and keeps the saved one', async () => {
    const { id } = await ingest.createRoom('Bad layouts');
    const viewer = await join(id, 'viewer', 'Viewer');
    const speaker: LayoutChoice = { mode: 'speaker', pinnedPeerId: null };
    expect((await putLayout(id, speaker)).status).toBe(200);

    for (const body of [
      {},
      { mode: 'mosaic', pinnedPeerId: null },
      { mode: 'grid' },
      { mode: 'grid', pinnedPeerId: 7 },
      { mode: 'grid', pinnedPeerId: '' },
      [],
    ]) {
      const res = await putLayout(id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe('BAD_REQUEST');
    }
    const notJson = await fetch(ingest.url + layoutPath(id), {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_SECRET}`, 'content-type': 'application/json' },
      body: '{mode',
    });
    expect(notJson.status).toBe(400);

    const noPin = await putLayout(id, { mode: 'spotlight', pinnedPeerId: null });
    expect(noPin.status).toBe(400);
    expect(noPin.body.error?.code).toBe('BAD_REQUEST');
    expect(noPin.body.error?.message).toMatch(/pinnedPeerId/);
    for (const pinnedPeerId of ['nobody', viewer.snapshot.self.peerId]) {
      const res = await putLayout(id, { mode: 'spotlight', pinnedPeerId });
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    }

    const noSecret = await ingest.api<ErrorBody>('PUT', layoutPath(id), speaker, 'wrong-secret');
    expect(noSecret.status).toBe(401);
    expect(noSecret.body.error.code).toBe('UNAUTHORIZED');
    const noRoom = await ingest.api<ErrorBody>('GET', layoutPath('no-such-room'));
    expect(noRoom.status).toBe(404);
    expect(noRoom.body.error.code).toBe('ROOM_NOT_FOUND');
    expect((await ingest.api<ErrorBody>('PUT', layoutPath('no-such-room'), speaker)).body.error.code).toBe(
      'ROOM_NOT_FOUND',
    );

    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(speaker);
  });

  it('reads a malformed record as the default, and deleting the room deletes the choice', async () => {
    const { id } = await ingest.createRoom('Broken layout');
    const key = `stagecast:room:${id}:layout`;
    await redis.set(key, JSON.stringify({ mode: 'mosaic', pinnedPeerId: null }));
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(DEFAULT_LAYOUT);
    await redis.set(key, '{not json');
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(DEFAULT_LAYOUT);

    expect((await putLayout(id, { mode: 'share', pinnedPeerId: null })).status).toBe(200);
    expect(await redis.exists(key)).toBe(1);
    expect((await ingest.api('DELETE', `/api/rooms/${id}`)).status).toBe(204);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe('broadcast:layout request', () => {
  it('lets hosts and co-hosts choose, refuses others first, validates the rest', async () => {
    const { id } = await ingest.createRoom('Socket layouts');
    const host = await join(id, 'host', 'Host');
    const cohost = await join(id, 'cohost', 'Cohost');
    const viewer = await join(id, 'viewer', 'Viewer');
    const heard = viewer.record('broadcast:layout');

    // Who may not choose learns only that, whatever they sent.
    for (const payload of [{ mode: 'grid', pinnedPeerId: null }, { mode: 'mosaic' }, null]) {
      const res = await viewer.request('broadcast:layout', payload);
      expect(res.ok ? 'accepted' : res.error.code).toBe('FORBIDDEN');
    }

    const pin: LayoutChoice = { mode: 'spotlight', pinnedPeerId: cohost.snapshot.self.peerId };
    const chosen = await host.request('broadcast:layout', pin);
    expect(chosen).toEqual({ ok: true, data: pin });
    await waitFor(() => heard.length === 1, 'the viewer to hear the layout');
    expect(heard[0]).toEqual(pin);

    const grid: LayoutChoice = { mode: 'grid', pinnedPeerId: null };
    expect(await cohost.request('broadcast:layout', grid)).toEqual({ ok: true, data: grid });

    for (const payload of [
      { mode: 'mosaic', pinnedPeerId: null },
      { mode: 'grid' },
      { mode: 'grid', pinnedPeerId: false },
      'grid',
      undefined,
    ]) {
      const res = await host.request('broadcast:layout', payload);
      expect(res.ok ? 'accepted' : res.error.code, JSON.stringify(payload)).toBe('BAD_REQUEST');
    }
    const noPin = await host.request('broadcast:layout', { mode: 'spotlight', pinnedPeerId: null });
    expect(noPin.ok ? 'accepted' : noPin.error.code).toBe('BAD_REQUEST');
    const offStage = await host.request('broadcast:layout', {
      mode: 'spotlight',
      pinnedPeerId: viewer.snapshot.self.peerId,
    });
    expect(offStage.ok ? 'accepted' : offStage.error.code).toBe('NOT_FOUND');

    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(grid);
    await waitFor(() => heard.length === 2, 'the viewer to hear the second choice');
    expect(heard[1]).toEqual(grid);
  });

  it('keeps a spotlight when its person leaves the stage', async () => {
    const { id } = await ingest.createRoom('Pinned');
    const host = await join(id, 'host', 'Host');
    const guest = await join(id, 'cohost', 'Guest');
    const pin: LayoutChoice = { mode: 'spotlight', pinnedPeerId: guest.snapshot.self.peerId };
    expect((await host.request('broadcast:layout', pin)).ok).toBe(true);
    guest.close();
    await waitFor(
      async () => (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.stage.length === 1,
      'the guest to leave',
    );
    expect((await ingest.api('GET', layoutPath(id))).body).toEqual(pin);
  });
});

describe('the picture on air in GET /api/rooms/:id', () => {
  const progress = (state: BroadcastProgress['state']): BroadcastProgress => ({
    state,
    fps: 30,
    speed: 0.98,
    bitrateKbps: 3100,
    tiles: 2,
    session: 1,
    layout: { kind: 'speaker', tiles: 2, peerIds: ['a', 'b'] },
    choice: DEFAULT_LAYOUT,
    quality: { level: 1, frameRate: 24, reason: 'the machine is short of CPU' },
    behindSeconds: 0.4,
  });

  it('adds layout, speed and quality from the last report while live, and sizes the job slots', async () => {
    const { id } = await ingest.createRoom('On air');
    const live = async () => (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.live;
    const started = await ingest.api<{ live: LiveState }>('POST', `/api/rooms/${id}/broadcast`, {
      action: 'start',
    });
    expect(started.status).toBe(200);
    const jobId = `${id}.${started.body.live.broadcastId ?? ''}`;
    const job = await waitFor(() => Job.fromId<CompositeJobData>(queue, jobId), 'the composite job');
    // maxStage 4: four people and a screen share; 2 H.264 slots for H.264-only publishers.
    expect(job.data.slots).toEqual({ video: 5, audio: 5, h264: 2 });

    // No report yet: live state only.
    expect(await live()).toEqual(started.body.live);
    // A report that does not match the protocol still takes the broadcast live, without figures.
    await job.updateProgress({ state: 'live', fps: 'fast' });
    const bare = await waitFor(async () => {
      const state = await live();
      return state.state === 'live' ? state : null;
    }, 'the broadcast to be live');
    expect(bare.layout).toBeUndefined();
    await job.updateProgress(progress('live'));
    const onAir = await waitFor(async () => {
      const state = await live();
      return state.layout ? state : null;
    }, 'the figures on air');
    expect(onAir.layout).toEqual({ kind: 'speaker', tiles: 2, peerIds: ['a', 'b'] });
    expect(onAir.speed).toBe(0.98);
    expect(onAir.quality).toEqual({ level: 1, frameRate: 24, reason: 'the machine is short of CPU' });

    // What Redis holds is validated: a broken record shows no figures (and no error).
    const key = `stagecast:room:${id}:progress`;
    expect(await redis.pttl(key)).toBeGreaterThan(20_000);
    await redis.set(
      key,
      JSON.stringify({ broadcastId: started.body.live.broadcastId, progress: { speed: 'x' } }),
      'PX',
      30_000,
    );
    const plain = await live();
    expect(plain.state).toBe('live');
    expect(plain.layout).toBeUndefined();
    expect(plain.speed).toBeUndefined();
    // Another broadcast's figures are not this one's.
    await redis.set(
      key,
      JSON.stringify({ broadcastId: 'earlier', progress: progress('live') }),
      'PX',
      30_000,
    );
    expect((await live()).layout).toBeUndefined();

    // Once stopping, the figures are no longer the picture on air.
    await job.updateProgress(progress('live'));
    await waitFor(async () => (await live()).layout, 'the figures again');
    expect((await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'stop' })).status).toBe(200);
    const stopping = await live();
    expect(stopping.state).toBe('stopping');
    expect(stopping.layout).toBeUndefined();
    await job.remove();
  });
});
