import type { CompositeJobData, Rendition, RtpInput } from '@stagecast/protocol';
import type { Layout, TileBox } from './computeLayout.js';
import { h264Profile } from './h264.js';

/** The job fields that shape FFmpeg's command line. */
export type FfmpegJobSettings = Pick<CompositeJobData, 'ladder' | 'segmentSeconds' | 'frameRate' | 'burnClock'>;

/**
 * Files of one session, relative to FFmpeg's working directory (the session directory), so
 * that no path ever needs escaping inside the filter graph.
 */
export interface SessionPaths {
  /** SDP file of `inputs[i]`. */
  sdp(index: number): string;
  /** Directory of one rendition's segments and playlist. */
  rendition(name: string): string;
  /** Text file drawn by drawtext (names are user input: files avoid filter-graph escaping). */
  label(key: string): string;
}

export const sessionPaths: SessionPaths = {
  sdp: (index) => `input-${index}.sdp`,
  rendition: (name) => name,
  label: (key) => `label-${key}.txt`,
};

/** FFmpeg's playlist and segment pattern inside a rendition directory. */
export const SESSION_PLAYLIST = 'index.m3u8';
export const SESSION_SEGMENT_PATTERN = 'seg_%06d.ts';

const BACKGROUND = '0x111318';
const EMPTY_TILE = '0x2a2d35';
const SPEAKER = '0x3fb950';
const FONT = 'Sans';

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Names are user input: one line, printable, short. */
export function cleanLabel(text: string, fallback: string): string {
  const clean = Array.from(text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ').replace(/\s+/g, ' ').trim());
  return clean.length === 0 ? fallback : clean.length > 40 ? `${clean.slice(0, 39).join('')}…` : clean.join('');
}

/** The text files the filter graph draws: file name (relative) → content. */
export function buildLabels(job: FfmpegJobSettings, layout: Layout, paths: SessionPaths = sessionPaths): Map<string, string> {
  const labels = new Map<string, string>();
  if (layout.kind === 'slate') labels.set(paths.label('room'), cleanLabel(layout.roomName, 'Stagecast'));
  layout.boxes.forEach((box, i) => labels.set(paths.label(String(i)), cleanLabel(box.tile.name, 'Guest')));
  // drawtext expands %{gmtime} itself; %3N adds milliseconds for latency measurements.
  if (job.burnClock) labels.set(paths.label('clock'), '%{gmtime:%H\\:%M\\:%S.%3N} UTC');
  return labels;
}

/** The rendition pictures are composed at: the tallest rung, scaled down for the others. */
export function compositeSize(ladder: readonly Rendition[]): { width: number; height: number } {
  const top = ladder.reduce<Rendition | undefined>((best, r) => (best && best.height >= r.height ? best : r), undefined);
  if (!top) throw new Error('empty ladder');
  return { width: top.width, height: top.height };
}

function drawLabel(file: string, size: number, x: string, y: string, boxed: boolean): string {
  const box = boxed ? `:box=1:boxcolor=black@0.55:boxborderw=${even(size / 4)}` : '';
  // expansion=none: a name with % must not be read as a drawtext function.
  return `drawtext=font=${FONT}:textfile=${file}:expansion=none:fontsize=${size}:fontcolor=white:x=${x}:y=${y}${box}`;
}

function decorations(box: TileBox, hasVideo: boolean, file: string): string[] {
  const filters: string[] = [];
  if (hasVideo) {
    const size = even(Math.min(32, Math.max(14, box.h / 12)));
    const pad = even(size / 2);
    filters.push(drawLabel(file, size, String(box.x + pad), String(box.y + box.h - size - 2 * pad), true));
  } else {
    const size = even(Math.min(64, Math.max(18, box.h / 7)));
    filters.push(`drawbox=x=${box.x}:y=${box.y}:w=${box.w}:h=${box.h}:color=${EMPTY_TILE}:t=fill`);
    filters.push(drawLabel(file, size, `${box.x}+(${box.w}-text_w)/2`, `${box.y}+(${box.h}-text_h)/2`, false));
  }
  if (box.highlighted) filters.push(`drawbox=x=${box.x}:y=${box.y}:w=${box.w}:h=${box.h}:color=${SPEAKER}:t=${even(Math.max(4, box.w / 120))}`);
  return filters;
}

/** The -filter_complex graph: composite → [v0..vN-1], mix → [a0..aN-1]. */
export function buildFilterGraph(job: FfmpegJobSettings, layout: Layout, inputs: readonly RtpInput[], paths: SessionPaths = sessionPaths): string {
  const { width, height } = compositeSize(job.ladder);
  const fps = job.frameRate;
  const videoIndex = new Map<string, number>();
  const audioIndexes: number[] = [];
  inputs.forEach((input, i) => (input.kind === 'video' ? videoIndex.set(input.producerId, i) : audioIndexes.push(i)));
  const usedVideo = layout.boxes.filter((b) => b.tile.videoProducerId !== null && videoIndex.has(b.tile.videoProducerId));
  const chains: string[] = [];

  // Without video RTP nothing paces the picture: `realtime` keeps the slate at wall-clock
  // speed. Not with RTP: after a lag (busy CPU) it would hold the picture back for good.
  chains.push(`color=c=${BACKGROUND}:s=${width}x${height}:r=${fps}${usedVideo.length === 0 ? ',realtime' : ''}[bg]`);
  let current = 'bg';
  const overlays: string[] = [];
  layout.boxes.forEach((box, k) => {
    const index = box.tile.videoProducerId === null ? undefined : videoIndex.get(box.tile.videoProducerId);
    if (index === undefined) return;
    chains.push(
      `[${index}:v]scale=w=${box.w}:h=${box.h}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
        `pad=w=${box.w}:h=${box.h}:x=(ow-iw)/2:y=(oh-ih)/2:color=black,setsar=1[t${k}]`,
    );
    // pass: an input that ends (RTCP BYE when its producer leaves, or its read timeout) drops
    // out while the others keep moving, until the replacement session takes over.
    overlays.push(`[${current}][t${k}]overlay=x=${box.x}:y=${box.y}:eof_action=pass[o${k}]`);
    current = `o${k}`;
  });
  chains.push(...overlays);

  const draw: string[] = [];
  if (layout.kind === 'slate') {
    draw.push(drawLabel(paths.label('room'), even(height / 12), '(w-text_w)/2', '(h-text_h)/2', false));
  }
  layout.boxes.forEach((box, k) => {
    const hasVideo = usedVideo.includes(box);
    draw.push(...decorations(box, hasVideo, paths.label(String(k))));
  });
  if (job.burnClock) {
    const size = even(height / 18);
    draw.push(`drawtext=font=${FONT}:textfile=${paths.label('clock')}:fontsize=${size}:fontcolor=white:x=w-text_w-${size}:y=${size}:box=1:boxcolor=black@0.6:boxborderw=${even(size / 4)}`);
  }
  const renditions = job.ladder;
  const splitOut = renditions.map((_, i) => `[vs${i}]`).join('');
  // fps: inputs arrive at their own rate (Chromium's fake camera sends 20 fps); HLS wants a fixed GOP.
  chains.push(`[${current}]${[...draw, `fps=${fps}`, 'format=yuv420p', `split=${renditions.length}`].join(',')}${splitOut}`);
  renditions.forEach((r, i) => {
    chains.push(r.width === width && r.height === height ? `[vs${i}]null[v${i}]` : `[vs${i}]scale=w=${r.width}:h=${r.height}[v${i}]`);
  });

  const audioOut = renditions.map((_, i) => `[a${i}]`).join('');
  const audioTail = `aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,asplit=${renditions.length}${audioOut}`;
  if (audioIndexes.length === 0) {
    // Silence, paced like the slate, so the stream never lacks audio.
    chains.push(`anullsrc=r=48000:cl=stereo,arealtime,${audioTail}`);
  } else {
    // async: stretch/fill around lost packets so audio stays on its timestamps.
    audioIndexes.forEach((index, j) => chains.push(`[${index}:a]aresample=async=1000[m${j}]`));
    const mixIn = audioIndexes.map((_, j) => `[m${j}]`).join('');
    const mix = audioIndexes.length > 1 ? `amix=inputs=${audioIndexes.length}:normalize=0:dropout_transition=0,` : 'anull,';
    chains.push(`${mixIn}${mix}${audioTail}`);
  }
  return chains.join(';');
}

/**
 * The whole FFmpeg command line of one session (without the program name). Pure: golden
 * tests pin every flag.
 */
export function buildFfmpegArgs(job: FfmpegJobSettings, layout: Layout, inputs: readonly RtpInput[], paths: SessionPaths = sessionPaths): string[] {
  const gop = String(Math.round(job.frameRate * job.segmentSeconds));
  const args = [
    '-hide_banner',
    '-nostdin', // stopped with SIGINT; an orphan must not wait on a terminal
    '-loglevel', 'level+warning',
    '-nostats',
    '-progress', 'pipe:1', // key=value blocks on stdout: the watchdog reads frame= from them
    '-stats_period', '1',
    '-y',
  ];
  inputs.forEach((input, i) => {
    args.push(
      '-protocol_whitelist', 'file,rtp,udp',
      // Probing would block on this input's RTP before the next input's sockets are even
      // bound, while ingest only sends once all are bound: the SDP already says the codec.
      '-nofind_stream_info',
      '-reorder_queue_size', '1000', // generous: a busy machine reads late and packets arrive out of order
      '-max_delay', '500000', // µs of jitter the reorder queue may hold
      '-buffer_size', '4194304', // UDP receive buffer, so a CPU spike does not drop packets
      '-listen_timeout', '5', // s without packets before the input ends (and the job replaces the session)
      '-thread_queue_size', '1024',
    );
    // A camera changing resolution must not rebuild the graph (that restarts its timestamps).
    if (input.kind === 'video') args.push('-reinit_filter', '0');
    args.push('-i', paths.sdp(i));
  });
  args.push('-filter_complex', buildFilterGraph(job, layout, inputs, paths));
  job.ladder.forEach((rendition, i) => {
    const { profile, level } = h264Profile(rendition, job.frameRate);
    const dir = paths.rendition(rendition.name);
    args.push(
      '-map', `[v${i}]`,
      '-map', `[a${i}]`,
      '-c:v', 'libx264',
      '-preset', 'veryfast',
      '-tune', 'zerolatency', // no lookahead or B-frame delay: live
      '-profile:v', profile, // explicit, so the master playlist's CODECS is true
      '-level:v', level,
      '-pix_fmt', 'yuv420p',
      '-b:v', `${rendition.videoKbps}k`,
      '-maxrate', `${rendition.videoKbps}k`,
      '-bufsize', `${rendition.videoKbps * 2}k`,
      '-g', gop, // one key frame per segment: segments cut exactly at segmentSeconds
      '-keyint_min', gop,
      '-sc_threshold', '0', // no extra key frames on scene cuts, so the GOP stays fixed
      '-r', String(job.frameRate),
      '-c:a', 'aac',
      '-b:a', `${rendition.audioKbps}k`,
      '-ac', '2',
      '-ar', '48000',
      '-shortest', // every microphone input ended (RTP stopped): end, and the job starts afresh
      '-f', 'hls',
      '-hls_time', String(job.segmentSeconds),
      '-hls_list_size', '0', // keep every segment: the PlaylistWriter owns the public window
      '-hls_segment_type', 'mpegts',
      '-hls_flags', 'temp_file+program_date_time', // segments appear complete; wall-clock time per segment
      '-start_number', '0',
      '-hls_segment_filename', `${dir}/${SESSION_SEGMENT_PATTERN}`,
      `${dir}/${SESSION_PLAYLIST}`,
    );
  });
  return args;
}
