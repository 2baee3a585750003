/** What the bot sends and where: the pure input of `buildBotFfmpegArgs`. */
export interface BotMedia {
  name: string;
  /** `testsrc` (a test pattern with the bot's name) or a media file path. */
  video: string;
  /** `sine` (a tone) or a media file path. */
  audio: string;
  videoTarget: { ip: string; port: number; rtcpPort: number; ssrc: number; payloadType: number };
  audioTarget: { ip: string; port: number; rtcpPort: number; ssrc: number; payloadType: number };
  /** Tone frequency, so several bots are told apart by ear. */
  toneHz?: number;
  /** A WebM file with VP8 + Opus, sent as it is (looped, no encoding: almost no CPU); replaces video and audio. */
  webm?: string;
  /** Seconds between FFmpeg's progress lines (with `speed=`); none when unset. */
  statsPeriodS?: number;
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

function escapeDrawtext(text: string): string {
  return text.replace(/[\\:'%]/g, (c) => `\\${c}`);
}

/** FFmpeg arguments that publish VP8 + Opus as RTP to a mediasoup PlainTransport. */
export function buildBotFfmpegArgs(media: BotMedia): string[] {
  const { videoTarget: v, audioTarget: a } = media;
  const rtp = (t: BotMedia['videoTarget']) => `rtp://${t.ip}:${t.port}?rtcpport=${t.rtcpPort}&pkt_size=1200`;
  // prettier-ignore
  const out = (t: BotMedia['videoTarget']) => ['-ssrc', String(t.ssrc), '-payload_type', String(t.payloadType), '-f', 'rtp', rtp(t)];
  // With -loglevel error, FFmpeg writes its progress line only when -stats is asked for explicitly.
  const stats = media.statsPeriodS ? ['-stats', '-stats_period', String(media.statsPeriodS)] : [];
  if (media.webm) {
    // Copying packets costs almost no CPU, so the bot keeps real time on a loaded machine and
    // leaves the cores to the server under test; -re paces the copy at the clip's own rate.
    const input = ['-re', '-stream_loop', '-1', '-i', media.webm];
    // prettier-ignore
    return [
      '-hide_banner', '-loglevel', 'error', ...stats,
      ...input,
      '-map', '0:v:0', '-c:v', 'copy', ...out(v),
      '-map', '0:a:0', '-c:a', 'copy', ...out(a),
    ];
  }
  const videoInput =
    media.video === 'testsrc'
      ? ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30']
      : ['-re', '-stream_loop', '-1', '-i', media.video];
  const audioInput =
    media.audio === 'sine'
      ? ['-re', '-f', 'lavfi', '-i', `sine=frequency=${media.toneHz ?? 440}:sample_rate=48000`]
      : ['-re', '-stream_loop', '-1', '-i', media.audio];
  const label = `drawtext=fontfile=${FONT}:text='${escapeDrawtext(media.name)}':fontsize=36:fontcolor=white:box=1:boxcolor=black@0.5:x=20:y=20`;
  // prettier-ignore
  return [
    '-hide_banner',
    '-loglevel', 'error',
    ...stats,
    ...videoInput,
    ...audioInput,
    '-map', '0:v:0',
    '-vf', `${label},format=yuv420p`,
    '-c:v', 'libvpx',
    '-deadline', 'realtime', // lowest-latency VP8 mode
    '-cpu-used', '8', // cheapest encode: bots must leave CPU for the server under test
    '-b:v', '600k',
    '-g', '30', // FFmpeg ignores key frame requests (PLI): a 1 s GOP stands in for a browser's instant answer
    ...out(v),
    '-map', '1:a:0',
    '-c:a', 'libopus',
    '-ac', '2',
    '-ar', '48000',
    '-b:a', '48k',
    ...out(a),
  ];
}
