import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, type CompositeJobData, type RtpInput, type StageSnapshot } from '@stagecast/protocol';
import { CompositeSession, type CompositeSessionOptions } from './CompositeSession.js';
import { computeLayout } from './computeLayout.js';
import { parseSessionPlaylist } from './playlist.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import { PortPool } from './PortPool.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const SEGMENT = 1;
const job: CompositeJobData = {
  roomId: 'itest',
  roomName: 'Integration',
  broadcastId: 'b1',
  startedAt: new Date().toISOString(),
  record: true,
  ladder: [...DEFAULT_LADDER],
  segmentSeconds: SEGMENT,
  liveWindow: 20,
  burnClock: true,
  frameRate: 30,
};
let dataDir = '';
const senders: ChildProcess[] = [];

afterAll(async () => {
  for (const sender of senders) sender.kill('SIGKILL');
  if (dataDir && !process.env.KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
});

/** Plays a bot publisher: VP8 test pattern and an Opus tone as RTP to FFmpeg's ports. */
function startSender(video: RtpInput, audio: RtpInput): ChildProcess {
  return spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=20',
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '20',
    '-f', 'rtp', '-payload_type', String(video.payloadType), '-ssrc', String(video.ssrc), `rtp://127.0.0.1:${video.rtpPort}?rtcpport=${video.rtcpPort}`,
    '-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k',
    '-f', 'rtp', '-payload_type', String(audio.payloadType), '-ssrc', String(audio.ssrc), `rtp://127.0.0.1:${audio.rtpPort}?rtcpport=${audio.rtcpPort}`,
  ], { stdio: 'ignore' });
}

/**
 * We play ingest for one publisher (video `v1`, audio `a1`): `bind` answers with the ports
 * asked for, `listening` starts a sender on them.
 */
function fakeIngest(ssrcBase: number): Pick<CompositeSessionOptions, 'bind' | 'listening'> {
  let bound: RtpInput[] = [];
  return {
    bind: (request) => {
      bound = request.map((r, i): RtpInput =>
        r.producerId === 'v1'
          ? { ...r, kind: 'video', codec: 'VP8', payloadType: 101, clockRate: 90000, ssrc: ssrcBase + i }
          : { ...r, kind: 'audio', codec: 'opus', payloadType: 100, clockRate: 48000, channels: 2, ssrc: ssrcBase + i },
      );
      return Promise.resolve(bound);
    },
    listening: () => {
      const [video, audio] = [bound.find((b) => b.kind === 'video'), bound.find((b) => b.kind === 'audio')];
      if (video && audio) senders.push(startSender(video, audio));
      return Promise.resolve();
    },
  };
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function probe(file: string): Promise<{ video: number; audio: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'json', file]);
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string }[] }).streams;
  return { video: streams.filter((s) => s.codec_type === 'video').length, audio: streams.filter((s) => s.codec_type === 'audio').length };
}

const waitUntil = async (check: () => Promise<boolean>, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe('a real FFmpeg session', () => {
  it('RTP in (VP8 + Opus), ladder out; a make-before-break restart; every rendition decodes', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stagecast-ffmpeg-'));
    const stage: StageSnapshot = {
      roomName: job.roomName,
      tiles: [{ peerId: 'p1', name: 'Alice', source: 'camera', videoProducerId: 'v1' }],
      audioProducerIds: ['a1'],
      activeSpeakerPeerId: 'p1',
      version: 1,
    };
    const ports = new PortPool();
    const writer = await PlaylistWriter.open({ job, hlsDir: join(dataDir, 'hls', job.roomId), vodDir: join(dataDir, 'vod', job.roomId, job.broadcastId), logger });
    const base = {
      job,
      host: '127.0.0.1',
      ports,
      logger,
      onExit: () => undefined,
    };
    const first = await CompositeSession.start({
      ...base,
      id: 's1',
      stage,
      layout: computeLayout(stage, 1280, 720),
      dir: join(dataDir, 'work', 's1'),
      logFile: join(dataDir, 'work', 's1.log'),
      ...fakeIngest(1000),
    });
    writer.addSession('s1', join(dataDir, 'work', 's1'));
    const startedAt = Date.now();
    await waitUntil(async () => (await writer.poll(), writer.segments >= 4), 20_000);
    const firstSegmentAfter = Date.now() - startedAt;
    const cpu = (await cpuSeconds(first.pid)) / ((Date.now() - first.startedAt) / 1000);

    // A new layout (camera off): the second session starts while the first still runs.
    const next: StageSnapshot = { ...stage, tiles: stage.tiles.map((t) => ({ ...t, videoProducerId: null })), audioProducerIds: [], version: 2 };
    const restartAt = Date.now();
    const replacement = await CompositeSession.start({
      ...base,
      id: 's2',
      stage: next,
      layout: computeLayout(next, 1280, 720),
      dir: join(dataDir, 'work', 's2'),
      logFile: join(dataDir, 'work', 's2.log'),
      bind: () => Promise.resolve([]),
      listening: () => Promise.resolve(),
    });
    writer.addSession('s2', join(dataDir, 'work', 's2'));
    let cut: number | null = null;
    await waitUntil(async () => {
      await writer.poll();
      cut = await writer.firstSegmentTime('s2');
      return cut !== null;
    }, 20_000);
    const replacedAfter = Date.now() - restartAt;
    await first.stop();
    writer.finishSession('s1', cut);
    await waitUntil(async () => (await writer.poll(), writer.segments >= 7), 20_000);
    const second = await readFile(join(dataDir, 'hls', job.roomId, '720p', 'index.m3u8'), 'utf8');
    console.log(`first segment listed ${firstSegmentAfter} ms after start; FFmpeg CPU ${(cpu * 100).toFixed(0)}% of a core; replacement's first segment ${replacedAfter} ms after its start`);

    // Gap between the old session's last listed segment and the new one's first (PDT).
    const pdts = [...second.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(.+)\n#EXTINF:([\d.]+),\n(.+)\n/g)].map((m) => ({ start: Date.parse(m[1] ?? ''), duration: Number(m[2]), uri: m[3] }));
    const disc = second.indexOf('\n#EXT-X-DISCONTINUITY\n');
    expect(disc).toBeGreaterThan(0);
    const before = second.slice(0, disc).match(/#EXTINF/g)?.length ?? 0;
    const lastOld = pdts[before - 1];
    const firstNew = pdts[before];
    if (!lastOld || !firstNew) throw new Error(`no restart in the playlist:\n${second}`);
    console.log(`restart gap (PDT): ${((firstNew.start - (lastOld.start + lastOld.duration * 1000)) / 1000).toFixed(2)} s`);

    await replacement.stop();
    writer.finishSession('s2');
    const end = await writer.end();
    expect(end.recordingUrl).toBe('/vod/itest/b1/master.m3u8');

    const master = await readFile(join(dataDir, 'hls', job.roomId, 'master.m3u8'), 'utf8');
    expect(master.match(/#EXT-X-STREAM-INF:.*CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/g)).toHaveLength(3);
    for (const r of job.ladder) {
      const text = await readFile(join(dataDir, 'hls', job.roomId, r.name, 'index.m3u8'), 'utf8');
      const { segments } = parseSessionPlaylist(text);
      expect(segments.length).toBeGreaterThanOrEqual(7);
      // Whole segments of the first session are cut at the fixed GOP.
      for (const s of segments.slice(1, before - 1)) expect(Math.abs(s.duration - SEGMENT)).toBeLessThan(0.15);
      const firstFile = join(dataDir, 'hls', job.roomId, r.name, segments[1]?.uri ?? '');
      const lastFile = join(dataDir, 'hls', job.roomId, r.name, segments.at(-1)?.uri ?? '');
      expect(await probe(firstFile)).toEqual({ video: 1, audio: 1 });
      expect(await probe(lastFile)).toEqual({ video: 1, audio: 1 });
      const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', firstFile, '-f', 'null', '-']);
      expect(stderr.trim()).toBe('');
    }
  }, 90_000);

  it('an input that ends does not stop the picture: a BYE ends one at once, silence ends one after the read timeout and is reported', async () => {
    dataDir ||= await mkdtemp(join(tmpdir(), 'stagecast-ffmpeg-'));
    const stage: StageSnapshot = {
      roomName: job.roomName,
      tiles: [{ peerId: 'p1', name: 'Alice', source: 'camera', videoProducerId: 'v1' }],
      audioProducerIds: ['a1'],
      activeSpeakerPeerId: null,
      version: 1,
    };
    const lost: string[] = [];
    const session = await CompositeSession.start({
      job: { ...job, ladder: DEFAULT_LADDER.slice(2) },
      host: '127.0.0.1',
      ports: new PortPool(),
      logger,
      onExit: () => undefined,
      onInputLost: (_s, input) => lost.push(input.producerId),
      id: 'ends',
      stage,
      layout: computeLayout(stage, 640, 360),
      dir: join(dataDir, 'work', 'ends'),
      logFile: join(dataDir, 'work', 'ends.log'),
      ...fakeIngest(2000),
    });
    const advancing = async (): Promise<boolean> => {
      const frame = session.progress.frame;
      await new Promise((r) => setTimeout(r, 1500));
      return session.progress.frame > frame;
    };
    await waitUntil(() => Promise.resolve(session.progress.frame > 30), 20_000);

    // Alice's camera left the stage: its input ends now, and no one calls that a loss.
    await session.endInputsExcept(new Set(['a1']));
    expect(await advancing()).toBe(true);
    expect(session.lacksAny(['v1'])).toBe(true);

    // Her microphone stops sending without leaving: FFmpeg's read timeout ends it, and it is reported.
    senders.at(-1)?.kill('SIGKILL');
    await waitUntil(() => Promise.resolve(lost.includes('a1')), 15_000);
    expect(lost).toEqual(['a1']);
    // Nothing is left to pace FFmpeg: the job replaces a silent session.
    expect(session.silent).toBe(true);
    await session.stop();
  }, 60_000);
});
