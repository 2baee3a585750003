import type { CompositeJobData, Rendition } from '@stagecast/protocol';
import { MAX_TILES } from '../picture/computeLayout.js';
import { h264Profile } from './h264.js';
import { FONT_BY_NAME } from './font.js';
import type { QualityStep } from '../quality/quality.js';
import { videoSlotCount } from '../relay/slotCodecs.js';
import {
  FILTERS,
  HIGHLIGHT_COLOR,
  LOWER_THIRD_ACCENT,
  LOWER_THIRD_COLOR,
  LOWER_THIRD_LINES,
  sceneValue,
  type Scene,
} from '../picture/scene.js';

/** The job fields that shape FFmpeg's command line. */
export type FfmpegJobSettings = Pick<
  CompositeJobData,
  'ladder' | 'segmentSeconds' | 'burnClock' | 'slots' | 'frameRate'
>;

/**
 * Files of one FFmpeg run, relative to its working directory (the run directory), so that
 * no path ever needs escaping inside the filter graph.
 */
export const runPaths = {
  /** The one SDP of every slot: video slots first (VP8, then H.264: streams 0:v:k), then audio (0:a:k). */
  sdp: 'slots.sdp',
  /** Directory of one rendition's segments and playlist. */
  rendition: (name: string) => name,
  /** drawtext expands `%{gmtime}` itself; a file keeps the format out of graph escaping. */
  clock: 'clock.txt',
};

/** The clock file's text: %3N adds milliseconds for latency measurements. */
export const CLOCK_TEXT = '%{gmtime:%H\\:%M\\:%S.%3N} UTC';

/**
 * FFmpeg's playlist, fragment pattern and init segment inside a rendition directory. Each of
 * FFmpeg's segments is one LL-HLS part: the PlaylistWriter joins them into segments.
 */
export const SESSION_PLAYLIST = 'index.m3u8';
export const SESSION_SEGMENT_PATTERN = 'part_%06d.m4s';
/**
 * Parts FFmpeg keeps listed in a session playlist (24 s of 0.4 s parts). The writer reads the
 * list at least every 250 ms; only a writer stalled for longer than this window misses parts.
 */
export const SESSION_LIST_PARTS = 60;
export const SESSION_INIT = 'init.mp4';

/**
 * The LL-HLS part length aimed at (s). The hold-back is three parts, so shorter parts are lower
 * latency, for more playlist writes and viewer requests. 0.4 s: exact in FFmpeg's microseconds
 * (its cut times are sums of the part length and must not drift off the key frames) and on a
 * frame at 30, 25 and 10 fps (the slowest step of 30), so a run's first segment can be one part.
 */
const PART_TARGET_SECONDS = 0.4;

/** Parts per segment: the whole number that makes parts closest to the target. */
export const partsPerSegment = (segmentSeconds: number): number =>
  Math.max(1, Math.round(segmentSeconds / PART_TARGET_SECONDS));

/** Seconds rounded to FFmpeg's microseconds. */
const toMicroseconds = (s: number): number => Math.round(s * 1e6) / 1e6;

/** The LL-HLS part target (s) of a segment length, in whole microseconds as FFmpeg takes it. */
export const partSeconds = (segmentSeconds: number): number =>
  toMicroseconds(segmentSeconds / partsPerSegment(segmentSeconds));

/** The slowest quality step keeps every third frame. */
const SLOWEST_FRAME_STEP = 3;

/**
 * When a run's first key frame comes (s): the first part boundary that also falls on a frame
 * at full rate and at the slowest step, so that the key frame begins a part (FFmpeg cuts parts
 * on frames); a whole segment when none does.
 */
export function firstKeyFrameSeconds(segmentSeconds: number, frameRate: number): number {
  const onFrame = (t: number, fps: number) => Math.abs(t * fps - Math.round(t * fps)) < 1e-6;
  for (let k = 1; k < partsPerSegment(segmentSeconds); k++) {
    const t = toMicroseconds(k * partSeconds(segmentSeconds));
    if (onFrame(t, frameRate) && onFrame(t, frameRate / SLOWEST_FRAME_STEP)) return t;
  }
  return segmentSeconds;
}

const BACKGROUND = '0x111318';
const CARD = '0x2a2d35';

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Escapes a filter's arguments for the graph description (one level above option escaping). */
const escapeGraph = (args: string): string => args.replace(/[\\'[\],;]/g, (c) => `\\${c}`);

/** The rendition pictures are composed at: the tallest rung, scaled down for the others. */
export function compositeSize(ladder: readonly Rendition[]): { width: number; height: number } {
  const top = ladder.reduce<Rendition | undefined>(
    (best, r) => (best && best.height >= r.height ? best : r),
    undefined,
  );
  if (!top) throw new Error('empty ladder');
  return { width: top.width, height: top.height };
}

function boxArgs(scene: Scene, target: string, extra: string): string {
  const v = (p: string) => sceneValue(scene, target, p);
  return `${target}=x=${v('x')}:y=${v('y')}:w=${v('w')}:h=${v('h')}:${extra}`;
}

function textArgs(scene: Scene, target: string, font: string): string {
  // `text=-` first: a hidden label's scene has no text, and drawtext needs one to start.
  const fixed = `${font}:expansion=none:fontcolor=white:boxcolor=black@0.55:text=-`;
  return `${target}=${escapeGraph(`${fixed}:${sceneValue(scene, target, 'reinit')}`)}`;
}

/**
 * The -filter_complex graph: fixed slots composited into [v0..vN-1] and mixed into
 * [a0..aN-1]. Every filter a layout moves is named (`FILTERS`) and starts at `scene`'s values,
 * so a restarted FFmpeg shows the current picture without waiting for commands.
 */
export function buildFilterGraph(
  job: FfmpegJobSettings,
  scene: Scene,
  zmqPort: number,
  font = FONT_BY_NAME,
): string {
  const { width, height } = compositeSize(job.ladder);
  const video = videoSlotCount(job.slots);
  const { audio } = job.slots;
  const chains: string[] = [];
  // Slots are fed in real time (filler when empty), so they pace the graph; no `realtime`.
  // zmq reads its queue on each frame: every command of one change lands on the same frame.
  const cards = Array.from({ length: MAX_TILES }, (_, b) =>
    boxArgs(scene, FILTERS.card(b), `color=${CARD}:t=fill`),
  );
  // The picture's frames start here: the frame steps thin them out before any work is done
  // on them (after zmq, which reads commands on every frame).
  const frameSteps = ([2, 3] as const).map(
    (n) => `${FILTERS.frameStep(n)}=step=${n}:enable=${sceneValue(scene, FILTERS.frameStep(n), 'enable')}`,
  );
  chains.push(
    [
      `color=c=${BACKGROUND}:s=${width}x${height}:r=${job.frameRate}`,
      `zmq=bind_address=tcp\\\\://127.0.0.1\\\\:${zmqPort}`,
      ...frameSteps,
      'format=yuv420p',
      ...cards,
    ].join(',') + '[bg]',
  );
  let current = 'bg';
  for (let k = 0; k < video; k++) {
    const w = sceneValue(scene, FILTERS.slotScale(k), 'w');
    const h = sceneValue(scene, FILTERS.slotScale(k), 'h');
    // eval=frame: a command's size (and a source changing size) applies on the next frame.
    chains.push(
      `[0:v:${k}]${FILTERS.slotScale(k)}=w=${w}:h=${h}:force_original_aspect_ratio=decrease:force_divisible_by=2:eval=frame:flags=bilinear,setsar=1[t${k}]`,
    );
    const x = sceneValue(scene, FILTERS.slotOverlay(k), 'x');
    const y = sceneValue(scene, FILTERS.slotOverlay(k), 'y');
    chains.push(`[${current}][t${k}]${FILTERS.slotOverlay(k)}=x=${x}:y=${y}:eval=frame[o${k}]`);
    current = `o${k}`;
  }
  const draw = Array.from({ length: MAX_TILES }, (_, b) => textArgs(scene, FILTERS.label(b), font));
  const hl = FILTERS.highlight;
  draw.push(boxArgs(scene, hl, `color=${HIGHLIGHT_COLOR}:t=${sceneValue(scene, hl, 't')}`));
  // The lower-third (the highlighted question) over the tiles, labels and the speaker's border.
  draw.push(boxArgs(scene, FILTERS.lowerThirdBox, `color=${LOWER_THIRD_COLOR}:t=fill`));
  draw.push(boxArgs(scene, FILTERS.lowerThirdAccent, `color=${LOWER_THIRD_ACCENT}:t=fill`));
  draw.push(textArgs(scene, FILTERS.lowerThirdName, font));
  for (let i = 0; i < LOWER_THIRD_LINES; i++) draw.push(textArgs(scene, FILTERS.lowerThirdLine(i), font));
  draw.push(textArgs(scene, FILTERS.slate, font));
  if (job.burnClock) {
    const size = even(height / 18);
    draw.push(
      `drawtext=${escapeGraph(font)}:textfile=${runPaths.clock}:fontsize=${size}:fontcolor=white:x=w-text_w-${size}:y=${size}:box=1:boxcolor=black@0.6:boxborderw=${even(size / 4)}`,
    );
  }
  const renditions = job.ladder;
  const splitOut = renditions.map((_, i) => `[vs${i}]`).join('');
  chains.push(`[${current}]${[...draw, `split=${renditions.length}`].join(',')}${splitOut}`);
  renditions.forEach((r, i) => {
    chains.push(
      r.width === width && r.height === height
        ? `[vs${i}]null[v${i}]`
        : `[vs${i}]scale=w=${r.width}:h=${r.height}:flags=bilinear[v${i}]`,
    );
  });

  // async: stretch/fill around lost packets so each microphone stays on its timestamps.
  for (let j = 0; j < audio; j++) chains.push(`[0:a:${j}]aresample=async=1000[m${j}]`);
  const mixIn = Array.from({ length: audio }, (_, j) => `[m${j}]`).join('');
  const mix = audio > 1 ? `amix=inputs=${audio}:normalize=0:dropout_transition=0` : 'anull';
  const audioOut = renditions.map((_, i) => `[a${i}]`).join('');
  chains.push(
    `${mixIn}${mix},aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,asplit=${renditions.length}${audioOut}`,
  );
  return chains.join(';');
}

/**
 * The whole FFmpeg command line of one run (without the program name). Pure: golden tests
 * pin every flag. One input: the SDP of every slot, video slots first, then audio slots.
 */
export function buildFfmpegArgs(
  job: FfmpegJobSettings,
  quality: QualityStep,
  scene: Scene,
  zmqPort: number,
  /** drawtext's font option (see `fontOption`). */
  font = FONT_BY_NAME,
): string[] {
  const segment = job.segmentSeconds;
  // A run's first segment is short (one part with the defaults): players need a whole segment
  // to start, so a new FFmpeg (go live, a restart, a takeover) is on air sooner. Key frames are
  // forced on that cadence (the first, then every S), so every later segment is exactly S long;
  // x264's own key frame interval (2 S) never comes first. FFmpeg cuts a fragment (one part)
  // every S/partsPerSegment(S); the PlaylistWriter begins a segment at each part that begins
  // with a key frame.
  const keyFrames = `expr:gte(t,${firstKeyFrameSeconds(segment, job.frameRate)}+n_forced*${segment})`;
  // In frames at the full rate: at a lower step the forced key frames still come first.
  const maxGop = String(Math.round(job.frameRate * segment * 2));
  // Flag/value pairs, one per line, each with its reason: Prettier would put every token on a
  // line of its own and part the flags from their values.
  // prettier-ignore
  const args = [
    '-hide_banner',
    '-nostdin', // stopped with SIGINT; an orphan must not wait on a terminal
    '-loglevel', 'level+warning',
    '-nostats',
    '-progress', 'pipe:1', // key=value blocks on stdout: the watchdog and the quality steps read them
    '-stats_period', '1',
    '-y',
  ];
  // prettier-ignore
  args.push(
    '-protocol_whitelist', 'file,rtp,udp',
    // Probing would wait for RTP on every slot before FFmpeg starts: the SDP already says the codecs.
    '-nofind_stream_info',
    '-reorder_queue_size', '500', // the relay is local; reordering only comes from the sender's own path
    '-max_delay', '200000', // µs a gap may hold a slot: a lost packet must not hold the picture long
    '-buffer_size', '4194304', // UDP receive buffer per slot, so a CPU spike does not drop packets
    // Slots switch sources of other sizes: the graph must never be rebuilt (that restarts its timestamps).
    '-reinit_filter', '0',
    '-i', runPaths.sdp,
  );
  args.push('-filter_complex', buildFilterGraph(job, scene, zmqPort, font));
  job.ladder.forEach((rendition, i) => {
    // For the full rate, whatever the step: the master playlist's CODECS holds at every step.
    const { profile, level } = h264Profile(rendition, job.frameRate);
    const dir = runPaths.rendition(rendition.name);
    // prettier-ignore
    args.push(
      '-map', `[v${i}]`,
      '-map', `[a${i}]`,
      '-c:v', 'libx264',
      // The lower rungs are seen small: a cheaper preset costs little there.
      '-preset', i === 0 ? quality.topPreset : quality.lowerPreset,
      '-tune', 'zerolatency', // no lookahead or B-frame delay: live
      '-profile:v', profile, // explicit, so the master playlist's CODECS is true
      '-level:v', level,
      '-pix_fmt', 'yuv420p',
      // The frame steps make the graph declare a lower rate; FFmpeg would then drop frames to
      // that rate even at full quality. The encoders keep the full rate's clock and take the
      // frames as they come (fewer at a lower step, each on its own timestamp).
      '-r', String(job.frameRate),
      '-fps_mode:v', 'vfr',
      '-b:v', `${rendition.videoKbps}k`,
      '-maxrate', `${rendition.videoKbps}k`,
      '-bufsize', `${rendition.videoKbps * 2}k`,
      '-force_key_frames', keyFrames,
      '-g', maxGop,
      '-sc_threshold', '0', // no extra key frames on scene cuts, so the GOP stays fixed
      '-c:a', 'aac',
      '-b:a', `${rendition.audioKbps}k`,
      '-ac', '2',
      '-ar', '48000',
      '-f', 'hls',
      // Six digits: the cut times are sums of this, which must not drift off the key frames.
      '-hls_time', partSeconds(segment).toFixed(6),
      // The PlaylistWriter owns the public window and reads this list several times a part:
      // a list of every part would make that cost grow with the broadcast's length.
      '-hls_list_size', String(SESSION_LIST_PARTS),
      '-hls_segment_type', 'fmp4', // CMAF: parts of one run share its init segment
      '-hls_fmp4_init_filename', SESSION_INIT, // next to the playlist
      // Parts appear complete; wall-clock time per part; cut on time, not only on key frames.
      '-hls_flags', 'temp_file+program_date_time+split_by_time',
      '-start_number', '0',
      '-hls_segment_filename', `${dir}/${SESSION_SEGMENT_PATTERN}`,
      `${dir}/${SESSION_PLAYLIST}`,
    );
  });
  return args;
}
