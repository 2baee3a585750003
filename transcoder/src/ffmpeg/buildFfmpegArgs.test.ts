import { describe, expect, it } from 'vitest';
import { getToken, tile } from '../picture/testFixtures.js';
import {
  DEFAULT_LADDER,
  DEFAULT_LAYOUT,
  type LayoutChoice,
  type StageSnapshot,
  type StageTile,
} from '@stagecast/protocol';
import {
  buildFfmpegArgs,
  buildFilterGraph,
  compositeSize,
  partSeconds,
  type FfmpegJobSettings,
} from './buildFfmpegArgs.js';
import { computeLayout } from '../picture/computeLayout.js';
import { h264Profile } from './h264.js';
import { qualitySteps, type FrameStep, type QualityStep } from '../quality/quality.js';
import { buildScene, type Scene } from '../picture/scene.js';

const ZMQ_PORT = 5555;
const steps = qualitySteps(30);
const step = (level: number): QualityStep => {
  const s = steps[level];
  if (!s) throw new Error(`no step ${level}`);
  return s;
};
const job = (over: Partial<FfmpegJobSettings> = {}): FfmpegJobSettings => ({
  ladder: [...DEFAULT_LADDER],
  segmentSeconds: 2,
  burnClock: false,
  slots: { video: 2, audio: 2 },
  frameRate: 30,
  ...over,
});
/** The scene of a stage: producer `v<k>` in video slot k, `live` the slots whose picture is there. */
function sceneOf(
  tiles: StageTile[],
  videoSlots: number,
  live: number[],
  speaker: string | null = null,
  choice: Partial<LayoutChoice> = {},
  frameStep: FrameStep = 1,
): Scene {
  const stage: StageSnapshot = {
    roomName: 'Launch day',
    tiles,
    audioProducerIds: [],
    activeSpeakerPeerId: speaker,
    layout: { ...DEFAULT_LAYOUT, ...choice },
    version: 1,
  };
  const { width, height } = compositeSize(DEFAULT_LADDER);
  return buildScene(
    computeLayout(stage, width, height),
    {
      videoSlots,
      videoSlotOf: (producerId) => (/^v\d+$/.test(producerId) ? Number(producerId.slice(1)) : undefined),
      isLive: (slot) => live.includes(slot),
    },
    frameStep,
  );
}

/** A flag and its value per line; the filter graph one chain per line, so diffs stay readable. */
function golden(args: string[]): string {
  const lines: string[] = [];
  const show = (a: string) => (a.includes(';') ? a.split(';').join(';\n    ') : a);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${arg} ${show(next)}`);
      i++;
    } else {
      lines.push(show(arg));
    }
  }
  return lines.join('\n') + '\n';
}

/** `key=value:key=value` as a filter reads it (a later key wins). */
function parseOptions(options: string): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < options.length) {
    const key = getToken(options, at, '=:');
    const value =
      options[key.next] === '=' ? getToken(options, key.next + 1, ':') : { token: '', next: key.next };
    out[key.token] = value.token;
    at = value.next + 1;
  }
  return out;
}
/** The graph as FFmpeg parses it: each filter's options (named instances by `name@id`), and its chains. */
function parseGraph(graph: string): { filters: Map<string, Record<string, string>[]>; chains: number } {
  const filters = new Map<string, Record<string, string>[]>();
  let chains = 1;
  let i = 0;
  while (i < graph.length) {
    const c = graph[i]!;
    if (c === '[') {
      i = graph.indexOf(']', i) + 1;
    } else if (c === ',' || c === ';') {
      if (c === ';') chains++;
      i++;
    } else {
      const name = getToken(graph, i, '=,;[\n');
      let options: Record<string, string> = {};
      i = name.next;
      if (graph[i] === '=') {
        const args = getToken(graph, i + 1, '[],;\n');
        options = parseOptions(args.token);
        i = args.next;
      }
      filters.set(name.token, [...(filters.get(name.token) ?? []), options]);
    }
  }
  return { filters, chains };
}

const values = (args: string[], flag: string): string[] =>
  args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
const graphOf = (args: string[]): string => values(args, '-filter_complex')[0] ?? '';

describe('buildFfmpegArgs (golden)', () => {
  it('a slate with 2 video and 2 audio slots, full quality', async () => {
    const args = buildFfmpegArgs(job(), step(0), sceneOf([], 2, []), ZMQ_PORT);
    await expect(golden(args)).toMatchFileSnapshot('__golden__/slate-2v2a.txt');
  });

  it('a 4-tile grid, 3 slots live, the speaker highlighted, the clock burned in', async () => {
    const tiles = [tile(0), tile(1), tile(2), tile(3)];
    const scene = sceneOf(tiles, 4, [0, 1, 3], 'p1', { mode: 'grid' });
    const args = buildFfmpegArgs(
      job({ burnClock: true, slots: { video: 4, audio: 4 } }),
      step(0),
      scene,
      ZMQ_PORT,
    );
    await expect(golden(args)).toMatchFileSnapshot('__golden__/grid-4-tiles-3-live.txt');
  });

  it('2 VP8 and 2 H.264 video slots: an H.264 publisher (slot 2) beside a VP8 camera (slot 0)', async () => {
    const h264 = { ...tile(2), peerId: 'p1', videoCodec: 'h264' };
    const scene = sceneOf([tile(0), h264], 4, [0, 2], null, { mode: 'grid' });
    const args = buildFfmpegArgs(job({ slots: { video: 2, audio: 2, h264: 2 } }), step(0), scene, ZMQ_PORT);
    expect(graphOf(args)).toContain('[0:v:3]');
    await expect(golden(args)).toMatchFileSnapshot('__golden__/grid-2v2h264-2a.txt');
  });

  it('quality step 3: a third of the frames (framestep on), the fastest presets; GOP and level as at full rate', async () => {
    const scene = sceneOf([tile(0)], 2, [0], null, {}, step(3).frameStep);
    const args = buildFfmpegArgs(job(), step(3), scene, ZMQ_PORT);
    await expect(golden(args)).toMatchFileSnapshot('__golden__/quality-step-3.txt');
  });

  it('the frame-rate steps differ from full quality only in the framestep switches (commands)', () => {
    const full = buildFfmpegArgs(job(), step(0), sceneOf([tile(0)], 2, [0]), ZMQ_PORT);
    for (const level of [1, 2]) {
      const scene = sceneOf([tile(0)], 2, [0], null, {}, step(level).frameStep);
      const args = buildFfmpegArgs(job(), step(level), scene, ZMQ_PORT);
      const n = step(level).frameStep;
      expect(
        args.map((a) =>
          a.replace(`framestep@fs${n}=step=${n}:enable=1`, `framestep@fs${n}=step=${n}:enable=0`),
        ),
      ).toEqual(full);
    }
  });
});

describe('buildFfmpegArgs (properties)', () => {
  const slate = sceneOf([], 3, []);
  const args = buildFfmpegArgs(job({ slots: { video: 3, audio: 2 } }), step(0), slate, ZMQ_PORT);

  it('one input: the SDP of every slot, without probing, never rebuilding the graph', () => {
    expect(values(args, '-i')).toEqual(['slots.sdp']);
    expect(values(args, '-reinit_filter')).toEqual(['0']);
    expect(values(args, '-protocol_whitelist')).toEqual(['file,rtp,udp']);
    expect(args).toContain('-nofind_stream_info');
  });

  it('the graph reads the k-th video stream into video slot k and the k-th audio stream into the mix', () => {
    const graph = graphOf(args);
    for (const k of [0, 1, 2]) expect(graph).toContain(`[0:v:${k}]scale@vs${k}=`);
    expect(graph).toContain('[0:a:0]aresample=async=1000[m0]');
    expect(graph).toContain('[0:a:1]aresample=async=1000[m1]');
    expect(graph).toContain('[m0][m1]amix=inputs=2:normalize=0:dropout_transition=0,');
    const one = graphOf(
      buildFfmpegArgs(job({ slots: { video: 1, audio: 1 } }), step(0), sceneOf([], 1, []), ZMQ_PORT),
    );
    expect(one).toContain('[0:a:0]aresample=async=1000[m0];[m0]anull,aformat=');
  });

  it('key frames on the segment cadence (a short first segment, then every segment), each at the start of a part', () => {
    // [step, segment, x264 interval, first key frame]: one part in when that is on a frame at
    // 30 and 10 fps; 0.4 s is; no part boundary of 1.5 s (0.375 s parts) is, nor of 1 s (1/3 s).
    for (const [level, segmentSeconds, maxGop, first] of [
      [0, 2, '120', 0.4],
      [2, 2, '120', 0.4],
      [3, 2, '120', 0.4],
      [0, 1.2, '72', 0.4],
      [0, 1.5, '90', 1.5],
      [2, 1, '60', 1],
    ] as const) {
      const a = buildFfmpegArgs(job({ segmentSeconds }), step(level), slate, ZMQ_PORT);
      const all = (v: string) => [v, v, v];
      expect(values(a, '-force_key_frames'), `step ${level}, ${segmentSeconds} s`).toEqual(
        all(`expr:gte(t,${first}+n_forced*${segmentSeconds})`),
      );
      // x264's own interval is twice the cadence (in frames at the full rate): it never cuts a segment short.
      expect(values(a, '-g')).toEqual(all(maxGop));
      expect(values(a, '-sc_threshold')).toEqual(all('0'));
      // FFmpeg cuts a part every segment / partsPerSegment: the first segment is a whole number of parts.
      const part = Number(values(a, '-hls_time')[0]);
      expect(values(a, '-hls_time')).toEqual(all(partSeconds(segmentSeconds).toFixed(6)));
      expect(part).toBeGreaterThanOrEqual(0.25);
      expect(part).toBeLessThanOrEqual(0.5);
      const perFirst = first / part;
      expect(Math.abs(perFirst - Math.round(perFirst))).toBeLessThan(1e-5);
      expect(values(a, '-hls_segment_type')).toEqual(all('fmp4'));
      expect(values(a, '-hls_flags')).toEqual(all('temp_file+program_date_time+split_by_time'));
    }
  });

  it('the top rung gets the better preset of the step, the lower rungs the cheaper one', () => {
    const presets = (level: number) =>
      values(buildFfmpegArgs(job(), step(level), slate, ZMQ_PORT), '-preset');
    expect(presets(0)).toEqual(['superfast', 'ultrafast', 'ultrafast']);
    expect(presets(1)).toEqual(['superfast', 'ultrafast', 'ultrafast']);
    expect(presets(2)).toEqual(['superfast', 'ultrafast', 'ultrafast']);
    expect(presets(3)).toEqual(['ultrafast', 'ultrafast', 'ultrafast']);
  });

  it('never -shortest: an input with nothing to say must not end the broadcast', () => {
    expect(args).not.toContain('-shortest');
    expect(
      buildFfmpegArgs(job({ burnClock: true }), step(3), sceneOf([tile(0)], 2, [0]), ZMQ_PORT),
    ).not.toContain('-shortest');
  });

  it('one HLS output per rendition, in its own directory, with the profile the playlist announces', () => {
    expect(values(args, '-hls_segment_filename')).toEqual([
      '720p/part_%06d.m4s',
      '480p/part_%06d.m4s',
      '360p/part_%06d.m4s',
    ]);
    expect(values(args, '-hls_fmp4_init_filename')).toEqual(['init.mp4', 'init.mp4', 'init.mp4']);
    expect(args.at(-1)).toBe('360p/index.m3u8');
    expect(values(args, '-map')).toEqual(['[v0]', '[a0]', '[v1]', '[a1]', '[v2]', '[a2]']);
    expect(values(args, '-profile:v')).toEqual(['high', 'main', 'main']);
    expect(values(args, '-level:v')).toEqual(['3.1', '3.1', '3.0']);
    expect(values(args, '-b:v')).toEqual(['2500k', '1200k', '700k']);
  });

  it('the zmq filter binds to the port on loopback (escaped twice for the graph)', () => {
    const graph = graphOf(args);
    expect(graph).toContain('zmq=bind_address=tcp\\\\://127.0.0.1\\\\:5555,');
    expect(parseGraph(graph).filters.get('zmq')).toEqual([{ bind_address: 'tcp://127.0.0.1:5555' }]);
  });

  it('every scene key is in the graph with its value, so a restarted FFmpeg starts on the current picture', () => {
    const scenes = [
      slate,
      sceneOf([tile(0), tile(1), tile(2)], 3, [0, 2], 'p1', { mode: 'grid' }),
      sceneOf([tile(0), tile(1, { source: 'screen', videoProducerId: 'v1' })], 3, [1], 'p0'),
    ];
    for (const scene of scenes) {
      const { filters } = parseGraph(
        buildFilterGraph(job({ slots: { video: 3, audio: 2 } }), scene, ZMQ_PORT),
      );
      for (const [key, value] of scene) {
        const [target, param] = key.split(' ') as [string, string];
        const found = filters.get(target);
        expect(found, target).toHaveLength(1);
        const options = found![0]!;
        if (param === 'reinit') {
          for (const [k, val] of Object.entries(parseOptions(value)))
            expect(options[k], `${key}: ${k}`).toBe(val);
        } else {
          expect(options[param], key).toBe(value);
        }
      }
    }
    const graph = buildFilterGraph(job(), slate, ZMQ_PORT);
    expect(graph).toContain('scale@vs0=w=16:h=16:');
    expect(graph).toContain('overlay@vo1=x=-4000:y=-4000:');
  });

  it('every drawtext takes the font option given (a file, so fontconfig is not asked at each start)', () => {
    const font = 'fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
    const graph = buildFilterGraph(job({ burnClock: true }), sceneOf([tile(0)], 2, [0]), ZMQ_PORT, font);
    const drawtexts = graph.match(/drawtext(@\w+)?=[^,;]*/g) ?? [];
    expect(drawtexts.length).toBeGreaterThan(2);
    for (const d of drawtexts)
      expect(d).toMatch(/=fontfile=\/usr\/share\/fonts\/truetype\/dejavu\/DejaVuSans\.ttf:/);
    expect(graph).not.toContain('font=Sans');
  });

  it('a name with [ ] , ; and quotes is escaped for the graph: the chains stay whole and the text is exact', () => {
    const name = "O'Neil: [a];b, c\\d";
    const plain = buildFilterGraph(job(), sceneOf([tile(0)], 2, [0]), ZMQ_PORT);
    const graph = buildFilterGraph(job(), sceneOf([tile(0, { name })], 2, [0]), ZMQ_PORT);
    expect(graph).toContain("text=O\\\\\\'Neil\\\\: \\[a\\]\\;b\\, c\\\\\\\\d:");
    const parsed = parseGraph(graph);
    expect(parsed.chains).toBe(parseGraph(plain).chains);
    expect(parsed.filters.get('drawtext@label0')?.[0]?.text).toBe(name);
    expect(graph.split(';')).toHaveLength(plain.split(';').length + 1); // the one `;` of the name is escaped
  });
});

describe('h264Profile', () => {
  it('CODECS match the profile and level x264 writes', () => {
    expect(h264Profile({ width: 1280, height: 720 }, 30)).toEqual({
      profile: 'high',
      level: '3.1',
      codecs: 'avc1.64001f,mp4a.40.2',
    });
    expect(h264Profile({ width: 854, height: 480 }, 30).codecs).toBe('avc1.4d401f,mp4a.40.2');
    expect(h264Profile({ width: 640, height: 360 }, 30).codecs).toBe('avc1.4d401e,mp4a.40.2');
    expect(h264Profile({ width: 1920, height: 1080 }, 30).codecs).toBe('avc1.640028,mp4a.40.2');
  });

  it('the level follows the frame rate', () => {
    expect(h264Profile({ width: 1280, height: 720 }, 60).level).toBe('3.2');
    expect(h264Profile({ width: 1280, height: 720 }, 15).level).toBe('3.1');
  });
});
