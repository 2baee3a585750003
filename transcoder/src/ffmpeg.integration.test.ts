import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LADDER,
  DEFAULT_LAYOUT,
  type CompositeJobData,
  type StageSnapshot,
  type StageTile,
} from '@stagecast/protocol';
import { compositeSize } from './ffmpeg/buildFfmpegArgs.js';
import { CompositeRun } from './ffmpeg/CompositeRun.js';
import { computeLayout } from './picture/computeLayout.js';
import { parseSessionPlaylist } from './hls/playlist.js';
import { PlaylistWriter } from './hls/PlaylistWriter.js';
import { PortPool } from './core/PortPool.js';
import { qualitySteps, type FrameStep } from './quality/quality.js';
import { SlotRelay } from './relay/SlotRelay.js';
import { buildScene, sceneCommands } from './picture/scene.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const job: CompositeJobData = {
  roomId: 'itest',
  roomName: 'Integration',
  broadcastId: 'b1',
  startedAt: new Date().toISOString(),
  record: true,
  ladder: DEFAULT_LADDER.slice(1),
  segmentSeconds: 1,
  liveWindow: 30,
  burnClock: true,
  frameRate: 30,
  slots: { video: 3, audio: 3 },
};
let dataDir = '';
const senders: ChildProcess[] = [];

afterAll(async () => {
  for (const sender of senders) sender.kill('SIGKILL');
  if (dataDir && !process.env.KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
});

/** Plays ingest sending one publisher's feeds: VP8 test pattern and an Opus tone as RTP. */
function startSender(size: string, video: { rtpPort: number }, audio: { rtpPort: number }): ChildProcess {
  const sender = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-re',
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${size}:rate=20`,
      '-re',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-map',
      '0:v',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '300k',
      '-g',
      '20',
      '-f',
      'rtp',
      '-payload_type',
      '101',
      `rtp://127.0.0.1:${video.rtpPort}`,
      '-map',
      '1:a',
      '-c:a',
      'libopus',
      '-ac',
      '2',
      '-b:a',
      '48k',
      '-f',
      'rtp',
      '-payload_type',
      '100',
      `rtp://127.0.0.1:${audio.rtpPort}`,
    ],
    { stdio: 'ignore' },
  );
  senders.push(sender);
  return sender;
}

/** Frames in a file's video stream, counted by decoding. */
async function videoFrames(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file,
  ]); // prettier-ignore
  return Number(stdout.trim());
}

async function probe(file: string): Promise<{ video: number; audio: number }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type',
    '-of',
    'json',
    file,
  ]);
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string }[] }).streams;
  return {
    video: streams.filter((s) => s.codec_type === 'video').length,
    audio: streams.filter((s) => s.codec_type === 'audio').length,
  };
}

const waitUntil = async (
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const tile = (peerId: string, name: string): StageTile => ({
  peerId,
  name,
  source: 'camera',
  videoProducerId: `v-${peerId}`,
});
const stageOf = (tiles: StageTile[]): StageSnapshot => ({
  roomName: job.roomName,
  tiles,
  audioProducerIds: [],
  activeSpeakerPeerId: null,
  layout: DEFAULT_LAYOUT,
  version: 1,
});

describe('one real FFmpeg for a changing stage', () => {
  it('filler, then sources switched in and out of slots, layouts as commands: one process, frames all along, no discontinuity', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stagecast-ffmpeg-'));
    const live = new Set<string>();
    const relay = await SlotRelay.create(
      '127.0.0.1',
      job.slots,
      {
        onSlotLive: (_kind, _index, feed) => live.add(feed),
        onSlotQuiet: (_kind, _index, feed) => live.delete(feed),
        onKeyFrameWanted: () => undefined,
      },
      logger,
    );
    const slotOf = new Map<string, number>();
    const size = compositeSize(job.ladder);
    const sceneOf = (tiles: StageTile[], frameStep: FrameStep = 1) =>
      buildScene(
        computeLayout(stageOf(tiles), size.width, size.height),
        {
          videoSlots: job.slots.video,
          videoSlotOf: (producerId) => slotOf.get(producerId),
          isLive: (k) => relay.isLive('video', k),
        },
        frameStep,
      );
    const writer = await PlaylistWriter.open({
      job,
      hlsDir: join(dataDir, 'hls', job.roomId),
      vodDir: join(dataDir, 'vod', job.roomId, job.broadcastId),
      logger,
    });
    const compositor = await CompositeRun.start({
      id: 'r1',
      job,
      quality: qualitySteps(job.frameRate)[0]!,
      scene: sceneOf([]),
      dir: join(dataDir, 'run'),
      logFile: join(dataDir, 'run.log'),
      host: '127.0.0.1',
      ports: new PortPool(),
      ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
      logger,
      onExit: () => undefined,
      onProgress: () => undefined,
    });
    relay.target(compositor.slotPorts);
    writer.addSession('r1', join(dataDir, 'run'));
    const poll = setInterval(() => void writer.poll(), 250);
    try {
      // Only filler: the slate runs at full rate.
      await waitUntil(() => compositor.progress.frame > 45, 20_000, 'frames from filler alone');

      /** A publisher whose feeds go into the given slots. */
      const publish = async (peer: string, slot: number, size: string): Promise<ChildProcess> => {
        const video = await relay.addFeed(`v-${peer}`, 'video');
        const audio = await relay.addFeed(`a-${peer}`, 'audio');
        relay.assign('video', slot, `v-${peer}`);
        relay.assign('audio', slot, `a-${peer}`);
        slotOf.set(`v-${peer}`, slot);
        return startSender(size, video, audio);
      };
      const show = async (tiles: StageTile[], frameStep: FrameStep = 1): Promise<void> => {
        const scene = sceneOf(tiles, frameStep);
        const failures = await compositor.apply(sceneCommands(compositor.scene, scene), scene);
        expect(failures).toEqual([]);
      };

      await publish('alice', 0, '320x240');
      await waitUntil(() => live.has('v-alice'), 10_000, "Alice's first key frame");
      await show([tile('alice', 'Alice')]);
      const bob = await publish('bob', 1, '640x360');
      // Bob appears with his name card at once, and his picture once his key frame is through.
      await show([tile('alice', 'Alice'), tile('bob', "Bob: it's \\ 100% [x], y;")]);
      await waitUntil(() => live.has('v-bob'), 10_000, "Bob's first key frame");
      await show([tile('alice', 'Alice'), tile('bob', "Bob: it's \\ 100% [x], y;")]);
      const framesBefore = compositor.progress.frame;
      // Alice leaves: her slot goes back to filler, the grid closes up.
      relay.removeFeed('v-alice');
      relay.removeFeed('a-alice');
      await show([tile('bob', 'Bob')]);
      // Bob stops sending without leaving: his slot falls back to filler, the picture goes on.
      bob.kill('SIGKILL');
      await waitUntil(() => !live.has('v-bob'), 5000, "Bob's slot to go quiet");
      await show([tile('bob', 'Bob')]);
      await waitUntil(
        () => compositor.progress.frame > framesBefore + 60,
        10_000,
        'frames after the changes',
      );
      await waitUntil(async () => (await writer.poll(), writer.segments >= 8), 20_000, 'eight segments');
      // A quality step down to a third of the frame rate is a command too.
      await show([tile('bob', 'Bob')], 3);
      const atStep = writer.segments;
      await waitUntil(
        async () => (await writer.poll(), writer.segments >= atStep + 3),
        20_000,
        'segments at a third of the frame rate',
      );
      // How fast it ran is the bench's business (this machine may be busy); that it ran on is this test's.
      expect(compositor.exited).toBe(false);
    } finally {
      clearInterval(poll);
      await compositor.stop();
      relay.close();
    }
    writer.finishSession('r1');
    const end = await writer.end();
    expect(end.recordingUrl).toBe('/vod/itest/b1/master.m3u8');
    const log = await readFile(join(dataDir, 'run.log'), 'utf8');
    expect(log).not.toMatch(/Failed to process command|Error while decoding|Invalid data/);
    for (const r of job.ladder) {
      const text = await readFile(join(dataDir, 'hls', job.roomId, r.name, 'index.m3u8'), 'utf8');
      expect(text).not.toContain('#EXT-X-DISCONTINUITY\n');
      const { segments } = parseSessionPlaylist(text);
      const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1] ?? '';
      const dir = join(dataDir, 'hls', job.roomId, r.name);
      expect(segments.length).toBeGreaterThanOrEqual(8);
      // One run: every whole segment is cut at the fixed GOP.
      for (const s of segments.slice(1, -1))
        expect(Math.abs(s.duration - job.segmentSeconds)).toBeLessThan(0.15);
      for (const [s, fps] of [
        [segments[1], job.frameRate],
        [segments.at(-2), job.frameRate / 3],
      ] as const) {
        // An fMP4 segment decodes after its init segment.
        const file = join(dataDir, `${r.name}-probe.mp4`);
        await writeFile(
          file,
          Buffer.concat([await readFile(join(dir, map)), await readFile(join(dir, s?.uri ?? ''))]),
        );
        expect(await probe(file)).toEqual({ video: 1, audio: 1 });
        const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
        expect(stderr.trim()).toBe('');
        expect(await videoFrames(file)).toBe(Math.round(fps * (s?.duration ?? 0)));
      }
    }
  }, 120_000);
});
