import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, DEFAULT_LAYOUT, type CompositeJobData } from '@stagecast/protocol';
import { compositeSize, partSeconds } from './ffmpeg/buildFfmpegArgs.js';
import { CompositeRun } from './ffmpeg/CompositeRun.js';
import { computeLayout } from './picture/computeLayout.js';
import { joinFragments } from './hls/fmp4.js';
import { PlaylistWriter } from './hls/PlaylistWriter.js';
import { PortPool } from './core/PortPool.js';
import { qualitySteps } from './quality/quality.js';
import { SlotRelay } from './relay/SlotRelay.js';
import { buildScene } from './picture/scene.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const job: CompositeJobData = {
  roomId: 'llhls',
  roomName: 'LL-HLS',
  broadcastId: 'b1',
  startedAt: new Date().toISOString(),
  record: true,
  ladder: DEFAULT_LADDER.slice(1),
  segmentSeconds: 2,
  liveWindow: 30, // nothing is swept while the test reads every file
  burnClock: false,
  frameRate: 30,
  slots: { video: 1, audio: 1 },
};
const PART = partSeconds(job.segmentSeconds);
let dataDir = '';

afterAll(async () => {
  if (dataDir && !process.env.KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
});

interface Part {
  uri: string;
  duration: number;
  independent: boolean;
}

interface Segment {
  seq: number;
  uri: string;
  duration: number;
  map: string;
  /** Its parts, when the playlist lists them. */
  parts: Part[];
}

/** One media playlist as read at one moment, parsed line by line (the order is the point). */
interface Snapshot {
  text: string;
  sequence: number;
  segments: Segment[];
  /** The open segment's parts, after the last EXTINF. */
  open: Part[];
  hint: string | undefined;
  ended: boolean;
}

function parse(text: string): Snapshot {
  const attr = (line: string, name: string) => new RegExp(`${name}=("([^"]*)"|[^,]*)`).exec(line);
  const value = (line: string, name: string) => {
    const m = attr(line, name);
    return m?.[2] ?? m?.[1];
  };
  const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
  const snapshot: Snapshot = { text, sequence, segments: [], open: [], hint: undefined, ended: false };
  let parts: Part[] = [];
  let map = '';
  let duration: number | null = null;
  for (const line of text.trim().split('\n')) {
    if (line.startsWith('#EXT-X-MAP:')) map = value(line, 'URI') ?? '';
    else if (line.startsWith('#EXT-X-PART:')) {
      parts.push({
        uri: value(line, 'URI') ?? '',
        duration: Number(value(line, 'DURATION')),
        independent: value(line, 'INDEPENDENT') === 'YES',
      });
    } else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) snapshot.hint = value(line, 'URI');
    else if (line === '#EXT-X-ENDLIST') snapshot.ended = true;
    else if (line && !line.startsWith('#')) {
      const seq = sequence + snapshot.segments.length;
      snapshot.segments.push({ seq, uri: line, duration: duration ?? NaN, map, parts });
      parts = [];
    }
  }
  snapshot.open = parts;
  return snapshot;
}

const partNumber = (uri: string): number => Number(/-p(\d+)\.m4s$/.exec(uri)?.[1]);

/** Video and audio packets of an fMP4 media file preceded by its init segment. */
async function packets(
  init: string,
  media: string,
  scratch: string,
): Promise<{ video: number; audio: number }> {
  await writeFile(scratch, Buffer.concat([await readFile(init), await readFile(media)]));
  const count = async (stream: string) => {
    const { stdout } = await run('ffprobe', [
      '-v', 'error', '-count_packets', '-select_streams', stream,
      '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', scratch,
    ]); // prettier-ignore
    return Number(stdout.trim());
  };
  return { video: await count('v:0'), audio: await count('a:0') };
}

/** Decodes every frame of a file or URL; FFmpeg's errors, if any. */
async function decodeErrors(input: string, extra: string[] = []): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', ...extra, '-i', input, '-f', 'null', '-'], {
    timeout: 60_000,
  });
  return stderr.trim();
}

describe('LL-HLS from one real FFmpeg', () => {
  it('parts listed before their segment, the hint names the next part, numbers only grow, every part and segment decodes, classic clients read it', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stagecast-llhls-'));
    const hlsDir = join(dataDir, 'hls', job.roomId);
    const vodDir = join(dataDir, 'vod', job.roomId, job.broadcastId);
    const relay = await SlotRelay.create(
      '127.0.0.1',
      job.slots,
      { onSlotLive: () => undefined, onSlotQuiet: () => undefined, onKeyFrameWanted: () => undefined },
      logger,
    );
    const size = compositeSize(job.ladder);
    const scene = buildScene(
      computeLayout(
        {
          roomName: job.roomName,
          tiles: [],
          audioProducerIds: [],
          activeSpeakerPeerId: null,
          layout: DEFAULT_LAYOUT,
          version: 1,
        },
        size.width,
        size.height,
      ),
      { videoSlots: job.slots.video, videoSlotOf: () => undefined, isLive: () => false },
      1,
    );
    const writer = await PlaylistWriter.open({ job, hlsDir, vodDir, logger });
    const compositor = await CompositeRun.start({
      id: 'r1',
      job,
      quality: qualitySteps(job.frameRate)[0]!,
      scene,
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
    const rendition = job.ladder[0]?.name ?? '';
    const mediaFile = join(hlsDir, rendition, 'index.m3u8');
    const snapshots: Snapshot[] = [];
    let classic: Promise<string> | undefined;
    try {
      // Every version of the playlist the origin could serve: read it as often as it changes.
      const until = Date.now() + 60_000;
      while (Date.now() < until && (snapshots.at(-1)?.segments.length ?? 0) < 6) {
        const text = await readFile(mediaFile, 'utf8').catch(() => '');
        if (text && text !== snapshots.at(-1)?.text) snapshots.push(parse(text));
        // A classic client joins once there is a whole segment, and reads it live for 3 s.
        classic ??=
          (snapshots.at(-1)?.segments.length ?? 0) >= 1
            ? decodeErrors(join(hlsDir, 'master.m3u8'), ['-t', '3'])
            : undefined;
        await new Promise((r) => setTimeout(r, 40));
      }
      expect(snapshots.at(-1)?.segments.length).toBeGreaterThanOrEqual(6);
      expect(await classic).toBe('');
    } finally {
      clearInterval(poll);
      await compositor.stop();
      relay.close();
    }
    writer.finishSession('r1');
    await writer.end();

    const last = parse(await readFile(mediaFile, 'utf8'));
    expect(last.ended).toBe(true);
    expect(last.hint).toBeUndefined();
    expect(last.text).toMatch(
      new RegExp(
        `^#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n` +
          `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${+(3 * PART).toFixed(3)},CAN-SKIP-UNTIL=12\n` +
          `#EXT-X-PART-INF:PART-TARGET=${PART}\n`,
      ),
    );
    // The part updates were seen one by one, not only whole segments.
    expect(snapshots.length).toBeGreaterThan(2 * (last.segments.length + 1));
    for (const [i, s] of snapshots.entries()) {
      const previous = snapshots[i - 1];
      const listed = [...s.segments.flatMap((seg) => seg.parts), ...s.open].map((p) => p.uri);
      const numbers = listed.map(partNumber);
      // Part numbers are consecutive within a playlist and never go back from one to the next.
      expect(numbers).toEqual(numbers.map((_, k) => (numbers[0] ?? 0) + k));
      for (const seg of s.segments) {
        // Parts come before their segment and add up to it; a segment begins with a key frame.
        if (seg.parts.length === 0) continue;
        expect(seg.parts[0]?.independent, `${seg.uri} begins independent`).toBe(true);
        const sum = seg.parts.reduce((a, p) => a + p.duration, 0);
        expect(Math.abs(sum - seg.duration)).toBeLessThan(0.002 * seg.parts.length);
      }
      if (s.open.length > 0) expect(s.open[0]?.independent).toBe(true);
      if (!previous) continue;
      expect(s.sequence).toBeGreaterThanOrEqual(previous.sequence);
      const before = new Set(
        [...previous.segments.flatMap((seg) => seg.parts), ...previous.open].map((p) => p.uri),
      );
      const added = listed.filter((uri) => !before.has(uri));
      if (previous.hint !== undefined && added.length > 0) expect(added[0]).toBe(previous.hint);
      expect(Math.max(...numbers)).toBeGreaterThanOrEqual(Math.max(...[...before].map(partNumber)));
      // A sequence number always names the same segment.
      for (const seg of s.segments) {
        const known = previous.segments.find((p) => p.seq === seg.seq);
        if (known) expect(known.uri).toBe(seg.uri);
      }
    }

    // Every part and segment ever listed decodes after its init segment, in every rendition.
    const scratch = join(dataDir, 'probe.mp4');
    const allParts = new Map<string, { part: Part; map: string }>();
    for (const s of snapshots) {
      for (const seg of s.segments)
        for (const part of seg.parts) allParts.set(part.uri, { part, map: seg.map });
      const openMap = s.segments.at(-1)?.map ?? last.segments[0]?.map ?? '';
      for (const part of s.open) if (!allParts.has(part.uri)) allParts.set(part.uri, { part, map: openMap });
    }
    expect(allParts.size).toBeGreaterThan(last.segments.length * 2);
    for (const r of job.ladder) {
      const dir = join(hlsDir, r.name);
      for (const { part, map } of allParts.values()) {
        const counted = await packets(join(dir, map), join(dir, part.uri), scratch);
        expect(Math.abs(counted.video - part.duration * job.frameRate), part.uri).toBeLessThanOrEqual(1);
        expect(counted.audio).toBeGreaterThan(0);
      }
      for (const seg of last.segments) {
        await writeFile(
          scratch,
          Buffer.concat([await readFile(join(dir, seg.map)), await readFile(join(dir, seg.uri))]),
        );
        expect(await decodeErrors(scratch), seg.uri).toBe('');
        const parts = snapshots
          .flatMap((s) => s.segments)
          .find((x) => x.seq === seg.seq && x.parts.length > 0)?.parts;
        // The segment is exactly its parts: a classic client sees what an LL client saw.
        if (parts) {
          const files = await Promise.all(parts.map((p) => readFile(join(dir, p.uri))));
          expect((await readFile(join(dir, seg.uri))).equals(joinFragments(files)), seg.uri).toBe(true);
        }
      }
    }

    // Classic clients: the ended live playlist and the recording, read whole by FFmpeg.
    expect(await decodeErrors(join(hlsDir, 'master.m3u8'))).toBe('');
    expect(await decodeErrors(join(vodDir, 'master.m3u8'))).toBe('');
    const { stdout } = await run('ffprobe', [
      '-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', join(vodDir, 'master.m3u8'),
    ]); // prettier-ignore
    const probed = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration: string } };
    expect(probed.streams.map((s) => s.codec_name)).toEqual(expect.arrayContaining(['h264', 'aac']));
    const total = last.segments.reduce((a, s) => a + s.duration, 0);
    expect(Math.abs(Number(probed.format.duration) - total)).toBeLessThan(0.5);
  }, 300_000);
});
