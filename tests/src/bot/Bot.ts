import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { connect, type Room } from '@stagecast/sdk';
import { buildBotFfmpegArgs } from './botArgs.js';

export interface BotOptions {
  /** Ingest base URL. */
  url: string;
  /** A token for a role that may publish (host, co-host or guest). */
  token: string;
  name: string;
  video?: string;
  audio?: string;
  toneHz?: number;
  /** A WebM (VP8 + Opus) to send without encoding; see BotMedia.webm. */
  webm?: string;
  /** Seconds between FFmpeg's progress lines (frame, fps, `speed=`) sent to `onLog`; none when unset. */
  statsPeriodS?: number;
  /** Receives FFmpeg's error output, one line at a time. */
  onLog?: (line: string) => void;
}

const VIDEO_PT = 101;
const AUDIO_PT = 100;

/**
 * A stage participant without a browser: FFmpeg sends VP8 + Opus RTP into two mediasoup
 * PlainTransports (comedia), which the bot then announces as camera and mic producers.
 */
export class Bot {
  private stopped = false;

  private constructor(
    readonly room: Room,
    readonly producerIds: { video: string; audio: string },
    private readonly ffmpeg: ChildProcess,
  ) {}

  static async start(options: BotOptions): Promise<Bot> {
    const room = await connect({ url: options.url, token: options.token, reconnect: false });
    try {
      const videoTransport = await room.request('stage:createPlainTransport', {});
      const audioTransport = await room.request('stage:createPlainTransport', {});
      const videoSsrc = randomInt(1, 2 ** 31);
      const audioSsrc = randomInt(1, 2 ** 31);
      const args = buildBotFfmpegArgs({
        name: options.name,
        video: options.video ?? 'testsrc',
        audio: options.audio ?? 'sine',
        toneHz: options.toneHz,
        ...(options.webm ? { webm: options.webm } : {}),
        ...(options.statsPeriodS ? { statsPeriodS: options.statsPeriodS } : {}),
        videoTarget: {
          ip: videoTransport.ip,
          port: videoTransport.port,
          rtcpPort: videoTransport.rtcpPort,
          ssrc: videoSsrc,
          payloadType: VIDEO_PT,
        },
        audioTarget: {
          ip: audioTransport.ip,
          port: audioTransport.port,
          rtcpPort: audioTransport.rtcpPort,
          ssrc: audioSsrc,
          payloadType: AUDIO_PT,
        },
      });
      // Producers first: mediasoup drops RTP that arrives before its producer exists.
      const video = await room.request('stage:produce', {
        transportId: videoTransport.id,
        kind: 'video',
        source: 'camera',
        rtpParameters: {
          codecs: [
            {
              mimeType: 'video/VP8',
              payloadType: VIDEO_PT,
              clockRate: 90000,
              rtcpFeedback: [
                { type: 'nack' },
                { type: 'nack', parameter: 'pli' },
                { type: 'ccm', parameter: 'fir' },
              ],
            },
          ],
          encodings: [{ ssrc: videoSsrc }],
        },
      });
      const audio = await room.request('stage:produce', {
        transportId: audioTransport.id,
        kind: 'audio',
        source: 'mic',
        rtpParameters: {
          codecs: [
            {
              mimeType: 'audio/opus',
              payloadType: AUDIO_PT,
              clockRate: 48000,
              channels: 2,
              parameters: { 'sprop-stereo': 1 },
            },
          ],
          encodings: [{ ssrc: audioSsrc }],
        },
      });
      const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      // FFmpeg ends its progress lines with \r (to redraw a terminal line), its messages with \n;
      // a chunk may end inside a line, which waits for the next chunk.
      let pending = '';
      ffmpeg.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (pending + chunk).split(/[\r\n]/);
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) options.onLog?.(line.trimEnd());
      });
      return new Bot(room, { video: video.producerId, audio: audio.producerId }, ffmpeg);
    } catch (error) {
      room.close();
      throw error;
    }
  }

  /** The FFmpeg process sending this bot's media (benchmarks measure its CPU). */
  get ffmpegPid(): number {
    return this.ffmpeg.pid ?? -1;
  }

  get peerId(): string {
    return this.room.self.peerId;
  }

  /** Stops sending and leaves the room. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => {
      if (this.ffmpeg.exitCode !== null || this.ffmpeg.signalCode !== null) resolve();
      else this.ffmpeg.once('exit', () => resolve());
    });
    this.ffmpeg.kill('SIGTERM');
    const timer = setTimeout(() => this.ffmpeg.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.room.close();
  }
}
