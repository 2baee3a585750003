/** Where one stream of the transcode goes: a mediasoup PlainTransport (comedia). */
export interface RtpTarget {
  ip: string;
  port: number;
  rtcpPort: number;
  ssrc: number;
  payloadType: number;
}

export interface RtmpTranscode {
  /** The stream as the local RTMP front plays it back. */
  source: string;
  video: RtpTarget;
  audio: RtpTarget;
}

/** The stage picture of an RTMP publisher: what a tile needs, what 2 cores can encode in real time. */
export const RTMP_VIDEO = { width: 640, height: 360, fps: 30, kbps: 900 } as const;

/**
 * FFmpeg arguments that turn an RTMP stream (H.264 or whatever OBS sends, AAC) into the
 * stage's codecs, VP8 and Opus, sent as RTP to two PlainTransports. VP8 because the
 * compositor's slot relay (and every browser) takes it; H.264 would be cheaper to copy but the
 * composite could not show it.
 */
export function buildRtmpIngestArgs(job: RtmpTranscode): string[] {
  const { video: v, audio: a } = job;
  const rtp = (t: RtpTarget) => `rtp://${t.ip}:${t.port}?rtcpport=${t.rtcpPort}&pkt_size=1200`;
  const { width, height, fps, kbps } = RTMP_VIDEO;
  // prettier-ignore
  return [
    '-hide_banner',
    '-loglevel', 'error',
    '-fflags', 'nobuffer', // pass frames on as they come: the stage is live
    '-rw_timeout', '15000000', // 15 s without data from the front: the publisher is gone
    '-i', job.source,
    '-map', '0:v:0',
    // Fit inside the stage size, keep the aspect, even dimensions (VP8 wants them).
    '-vf', `scale=w=${width}:h=${height}:force_original_aspect_ratio=decrease:force_divisible_by=2,fps=${fps}`,
    '-c:v', 'libvpx',
    '-deadline', 'realtime', // libvpx's real-time mode
    '-cpu-used', '8', // fastest real-time speed: the encode must keep up on a busy machine
    '-lag-in-frames', '0', // no look-ahead: no added latency
    '-error-resilient', '1', // decodable after a lost packet
    '-b:v', `${kbps}k`,
    '-maxrate', `${kbps}k`,
    '-bufsize', `${kbps}k`, // one second of buffer: steady packets for the SFU
    '-g', String(fps * 2), // a key frame every 2 s: the compositor and late joiners start on one
    '-keyint_min', String(fps * 2),
    '-threads', '2',
    '-ssrc', String(v.ssrc), '-payload_type', String(v.payloadType), '-f', 'rtp', rtp(v),
    '-map', '0:a:0',
    '-c:a', 'libopus',
    '-ar', '48000', // Opus in RTP runs at 48 kHz
    '-ac', '2',
    '-b:a', '96k',
    '-application', 'lowdelay',
    '-ssrc', String(a.ssrc), '-payload_type', String(a.payloadType), '-f', 'rtp', rtp(a),
  ];
}
