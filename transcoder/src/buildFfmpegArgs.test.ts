import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, type RtpInput, type StageSnapshot, type StageTile } from '@stagecast/protocol';
import { buildFfmpegArgs, buildLabels, cleanLabel, type FfmpegJobSettings } from './buildFfmpegArgs.js';
import { computeLayout } from './computeLayout.js';
import { h264Profile } from './h264.js';

const job: FfmpegJobSettings = { ladder: [...DEFAULT_LADDER], segmentSeconds: 2, frameRate: 30, burnClock: false };
const tile = (i: number, over: Partial<StageTile> = {}): StageTile => ({ peerId: `p${i}`, name: `Person ${i}`, source: 'camera', videoProducerId: `v${i}`, ...over });
const video = (id: string, port: number): RtpInput => ({ producerId: id, kind: 'video', codec: 'VP8', payloadType: 101, clockRate: 90000, ssrc: port, rtpPort: port, rtcpPort: port + 1 });
const audio = (id: string, port: number): RtpInput => ({ producerId: id, kind: 'audio', codec: 'opus', payloadType: 100, clockRate: 48000, channels: 2, ssrc: port, rtpPort: port, rtcpPort: port + 1 });

function golden(tiles: StageTile[], audioIds: string[], settings = job, speaker: string | null = null): string {
  const stage: StageSnapshot = { roomName: 'Launch day', tiles, audioProducerIds: audioIds, activeSpeakerPeerId: speaker, version: 1 };
  const layout = computeLayout(stage, 1280, 720);
  let port = 40000;
  const inputs = [
    ...layout.boxes.flatMap((b) => (b.tile.videoProducerId ? [video(b.tile.videoProducerId, (port += 2))] : [])),
    ...audioIds.map((id) => audio(id, (port += 2))),
  ];
  const args = buildFfmpegArgs(settings, layout, inputs);
  // A flag and its value per line; the filter graph one chain per line, so diffs stay readable.
  const lines: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    const show = (a: string) => (a.includes(';') ? a.split(';').join(';\n    ') : a);
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${arg} ${show(next)}`);
      i++;
    } else {
      lines.push(show(arg));
    }
  }
  return lines.join('\n') + '\n';
}

describe('buildFfmpegArgs (golden)', () => {
  it('one tile', async () => {
    await expect(golden([tile(0)], ['a0'])).toMatchFileSnapshot('__golden__/one-tile.txt');
  });
  it('two tiles, one speaking', async () => {
    await expect(golden([tile(0), tile(1)], ['a0', 'a1'], job, 'p1')).toMatchFileSnapshot('__golden__/two-tiles.txt');
  });
  it('four tiles, one camera off', async () => {
    await expect(golden([tile(0), tile(1, { videoProducerId: null }), tile(2), tile(3)], ['a0', 'a2'])).toMatchFileSnapshot('__golden__/four-tiles.txt');
  });
  it('screen share', async () => {
    await expect(golden([tile(0, { source: 'screen', videoProducerId: 's0' }), tile(0), tile(1)], ['a0'], job, 'p0')).toMatchFileSnapshot('__golden__/screen-share.txt');
  });
  it('empty stage: slate and silence', async () => {
    await expect(golden([], [])).toMatchFileSnapshot('__golden__/empty-stage.txt');
  });
  it('burned-in clock', async () => {
    await expect(golden([tile(0)], ['a0'], { ...job, burnClock: true })).toMatchFileSnapshot('__golden__/burn-clock.txt');
  });
});

describe('buildFfmpegArgs (properties)', () => {
  const layout = computeLayout({ roomName: 'R', tiles: [tile(0)], audioProducerIds: [], activeSpeakerPeerId: null, version: 1 }, 1280, 720);
  const args = buildFfmpegArgs({ ...job, frameRate: 25, segmentSeconds: 1 }, layout, [video('v0', 40000)]);
  const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

  it('a fixed GOP of frameRate × segmentSeconds for every rendition', () => {
    expect(values('-g')).toEqual(['25', '25', '25']);
    expect(values('-keyint_min')).toEqual(['25', '25', '25']);
    expect(values('-sc_threshold')).toEqual(['0', '0', '0']);
    expect(values('-r')).toEqual(['25', '25', '25']);
  });
  it('one HLS output per rendition, in its own directory', () => {
    expect(values('-hls_segment_filename')).toEqual(['720p/seg_%06d.ts', '480p/seg_%06d.ts', '360p/seg_%06d.ts']);
    expect(args.at(-1)).toBe('360p/index.m3u8');
    expect(values('-profile:v')).toEqual(['high', 'main', 'main']);
  });
});

describe('labels and profiles', () => {
  it('names become one clean line; the clock is a drawtext expansion', () => {
    expect(cleanLabel('  Ann\n\u0007Lee  ', 'Guest')).toBe('Ann Lee');
    expect(cleanLabel('', 'Guest')).toBe('Guest');
    expect(cleanLabel('x'.repeat(60), 'Guest')).toHaveLength(40);
    const layout = computeLayout({ roomName: 'R', tiles: [tile(0, { name: "50% O'Neil: [a];b" })], audioProducerIds: [], activeSpeakerPeerId: null, version: 1 }, 1280, 720);
    const labels = buildLabels({ ...job, burnClock: true }, layout);
    expect(labels.get('label-0.txt')).toBe("50% O'Neil: [a];b");
    expect(labels.get('label-clock.txt')).toContain('%{gmtime:');
  });
  it('CODECS match the profile and level x264 writes', () => {
    expect(h264Profile({ width: 1280, height: 720 }, 30)).toEqual({ profile: 'high', level: '3.1', codecs: 'avc1.64001f,mp4a.40.2' });
    expect(h264Profile({ width: 854, height: 480 }, 30).codecs).toBe('avc1.4d401f,mp4a.40.2');
    expect(h264Profile({ width: 640, height: 360 }, 30).codecs).toBe('avc1.4d401e,mp4a.40.2');
    expect(h264Profile({ width: 1920, height: 1080 }, 30).codecs).toBe('avc1.640028,mp4a.40.2');
  });
});
