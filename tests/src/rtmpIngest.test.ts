import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { IngestKeyCreated, IngestKeyInfo, LiveState, RoomInfo } from '@stagecast/protocol';
import type { Room } from '@stagecast/sdk';
import { decodes, fetchPlaylist, probeStreams, segmentFile } from './helpers/hls.js';
import { freePort, ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { publishRtmp, type RtmpPublisher } from './helpers/rtmpPublisher.js';

/*
 * RTMP ingest against real parts: the ingest's RTMP front (Debian's nginx-rtmp), FFmpeg
 * publishing a test pattern and a tone by RTMP as OBS would, the ingest's transcode into
 * mediasoup, and the real compositor, whose picture (`live.layout` and a decoded HLS segment)
 * gains the publisher once a host puts it on air.
 */

let ingest: TestIngest;
let transcoder: TranscoderProcess;
let rtmpPort = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(12);
  rtmpPort = await freePort();
  ingest = await TestIngest.start({ redisUrl, rtmpPort });
  transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
  cleanups.push(() => transcoder.stop());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await ingest?.close();
}, 60_000);

beforeEach(() => {
  onTestFailed(() => console.error(`--- transcoder ---\n${transcoder.output.join('')}`));
});

function publisher(url: string): RtmpPublisher {
  const published = publishRtmp(url);
  cleanups.push(() => published.ffmpeg.kill('SIGKILL'));
  return published;
}

async function roomInfo(roomId: string): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body;
}

async function host(roomId: string): Promise<Room> {
  const room = await ingest.join(roomId, 'host', 'Hanna Host');
  cleanups.push(() => room.close());
  return room;
}

describe('rtmp ingest', () => {
  it('a wrong stream key is refused before any media work', { timeout: 60_000 }, async () => {
    const { id } = await ingest.createRoom('RTMP refusal');
    const wrong = publisher(`rtmp://127.0.0.1:${rtmpPort}/live/sk_not-a-key`);
    expect(await wrong.exited).not.toBe(0);
    expect((await roomInfo(id)).stage).toEqual([]);
    // Nothing reached mediasoup: the room was never opened on the ingest.
    expect(ingest.server.ctx.rooms.get(id)).toBeUndefined();
  });

  it(
    'rtmp ingest: a host taking the publisher off the stage revokes its key',
    { timeout: 120_000 },
    async () => {
      const { id } = await ingest.createRoom('RTMP removal');
      const hanna = await host(id);
      const created = await ingest.api<IngestKeyCreated>('POST', `/api/rooms/${id}/ingest`, {
        name: 'Rita RTMP',
      });
      const obs = publisher(`${created.body.rtmpUrl}/${created.body.streamKey}`);
      const rita = await waitFor(
        () => hanna.stage.find((p) => p.name === 'Rita RTMP' && p.producers.length === 2),
        'the RTMP publisher on stage',
        60_000,
      );
      await hanna.request('stage:demote', { peerId: rita.peerId });
      await waitFor(() => !hanna.stage.some((p) => p.peerId === rita.peerId), 'the publisher off the stage');
      // An encoder reconnects by itself: the key no longer admits it.
      await waitFor(
        async () =>
          (await ingest.api<{ keys: IngestKeyInfo[] }>('GET', `/api/rooms/${id}/ingest`)).body.keys.length ===
          0,
        'the key revoked',
      );
      await waitFor(() => obs.ffmpeg.exitCode !== null, 'the RTMP publisher cut off', 30_000);
      expect(hanna.stage.some((p) => p.name === 'Rita RTMP')).toBe(false);
    },
  );

  it(
    'rtmp ingest: an FFmpeg publisher arrives backstage, on air it is in the composite, deleting its key removes it',
    { timeout: 400_000 },
    async () => {
      const { id } = await ingest.createRoom('RTMP webinar');
      const hanna = await host(id);
      const created = await ingest.api<IngestKeyCreated>('POST', `/api/rooms/${id}/ingest`, {
        name: 'Olga OBS',
      });
      expect(created.status).toBe(201);
      expect(created.body.rtmpUrl).toBe(`rtmp://127.0.0.1:${rtmpPort}/live`);
      expect(created.body.streamKey).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
      const listed = await ingest.api<{ keys: IngestKeyInfo[] }>('GET', `/api/rooms/${id}/ingest`);
      expect(listed.body.keys).toEqual([
        { id: created.body.id, name: 'Olga OBS', createdAt: created.body.createdAt, live: false },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.streamKey);

      const obs = publisher(`${created.body.rtmpUrl}/${created.body.streamKey}`);
      onTestFailed(() => console.error(`--- publisher ---\n${obs.log.join('')}`));
      const olga = await waitFor(
        () => hanna.stage.find((p) => p.name === 'Olga OBS' && p.producers.length === 2),
        'the RTMP publisher on stage with camera and mic',
        60_000,
      );
      // A guest's entry: backstage by default.
      expect(olga.role).toBe('guest');
      expect(olga.onAir).toBe(false);
      const peer = ingest.server.ctx.rooms.get(id)?.peers.get(olga.peerId);
      await waitFor(
        async () => {
          const stats = await Promise.all([...(peer?.producers.values() ?? [])].map((p) => p.getStats()));
          return stats.length === 2 && stats.every((s) => s.some((e) => e.byteCount > 0));
        },
        'VP8 and Opus arriving from the transcode',
        60_000,
      );

      const started = await ingest.api<{ live: LiveState }>('POST', `/api/rooms/${id}/broadcast`, {
        action: 'start',
      });
      expect(started.status).toBe(200);
      const air = await ingest.api('POST', `/api/rooms/${id}/stage/${olga.peerId}/air`, { onAir: true });
      expect(air.status).toBe(200);
      await waitFor(
        async () => (await roomInfo(id)).live.layout?.peerIds.includes(olga.peerId),
        'the RTMP publisher in the picture on air',
        ON_AIR_MS,
      );
      const onAirSince = Date.now();

      // A segment cut after it went on air decodes, with video and audio.
      const hls = (path: string) => `${ingest.url}/hls/${id}/${path}`;
      const master = await waitFor(() => fetchPlaylist(hls('master.m3u8')), 'the master playlist', 60_000);
      const variant = master.manifest.playlists?.at(-1);
      if (!variant) throw new Error('no variant');
      const mediaUrl = new URL(variant.uri, hls('master.m3u8')).toString();
      const segment = await waitFor(
        async () =>
          (await fetchPlaylist(mediaUrl))?.manifest.segments.find(
            (s) => (s.programDateTime ?? 0) > onAirSince,
          ),
        'a segment after going on air',
        60_000,
      );
      const file = await segmentFile(segment, mediaUrl);
      try {
        expect(await probeStreams(file)).toMatchObject({ video: 1, audio: 1 });
        await decodes(file);
      } finally {
        await rm(dirname(file), { recursive: true, force: true });
      }
      const live = await ingest.api<{ keys: IngestKeyInfo[] }>('GET', `/api/rooms/${id}/ingest`);
      expect(live.body.keys[0]).toMatchObject({ live: true, peerId: olga.peerId });

      // Revoking the key takes the participant off the stage and cuts the publisher off.
      const deleted = await ingest.api('DELETE', `/api/rooms/${id}/ingest/${created.body.id}`);
      expect(deleted.status).toBe(200);
      await waitFor(() => !hanna.stage.some((p) => p.peerId === olga.peerId), 'the publisher off the stage');
      expect(ingest.server.ctx.rooms.get(id)?.peers.has(olga.peerId)).toBe(false);
      await waitFor(() => obs.ffmpeg.exitCode !== null, 'the RTMP publisher cut off', 30_000);
      expect(
        (await ingest.api<{ keys: IngestKeyInfo[] }>('GET', `/api/rooms/${id}/ingest`)).body.keys,
      ).toEqual([]);
      await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'stop' });
    },
  );
});
