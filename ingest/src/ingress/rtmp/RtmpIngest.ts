import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { StagecastError, type IngestKeyInfo } from '@stagecast/protocol';
import type { IngestContext } from '../../core/context.js';
import type { IngressPeers, IngressSeat } from '../IngressPeers.js';
import { IngestKeyStore, type IngestKey } from './IngestKeyStore.js';
import { RtmpFront } from './RtmpFront.js';
import { NGINX_RTMP_MODULE, rtmpPlayHost } from './nginxRtmpConf.js';
import { buildRtmpIngestArgs, type RtpTarget } from './rtmpArgs.js';

export interface RtmpIngestSettings {
  /** `STAGECAST_RTMP_PORT`; 0: off. */
  port: number;
  /** The listen host (the HTTP server's). */
  host: string;
  dataDir: string;
  /** `STAGECAST_RTMP_PUBLIC_URL`. */
  publicUrl: string | undefined;
  /** `STAGECAST_PUBLIC_URL`, whose host publishers reach by default. */
  httpPublicUrl: string | undefined;
}

/** One publisher on stage: its key, seat and transcoding FFmpeg. */
interface RtmpSession {
  key: IngestKey;
  streamKey: string;
  seat: IngressSeat;
  ffmpeg: ChildProcess | undefined;
  stopped: boolean;
}

const VIDEO_PT = 101;
const AUDIO_PT = 100;

/**
 * RTMP ingest: hosts make a key for a named participant; a publisher (OBS, an encoder,
 * `ffmpeg -f flv`) sends to the RTMP front (nginx-rtmp), which asks here before admitting it.
 * An admitted stream becomes a stage participant (IngressPeers) whose VP8 and Opus, transcoded
 * by one FFmpeg from what the front plays back, go as RTP into two PlainTransport producers.
 */
export class RtmpIngest {
  readonly keys: IngestKeyStore;
  /** By stream key: what the front's callbacks name. */
  private readonly sessions = new Map<string, RtmpSession>();
  private front: RtmpFront | undefined;
  /** In the front's callback paths, so that only the front (told it at start) reaches them. */
  readonly callbackSecret = randomBytes(24).toString('base64url');

  constructor(
    private readonly ctx: Pick<IngestContext, 'redis' | 'logger'>,
    private readonly ingress: IngressPeers,
    private readonly settings: RtmpIngestSettings,
  ) {
    this.keys = new IngestKeyStore(ctx.redis, ctx.logger);
  }

  get enabled(): boolean {
    return this.settings.port > 0;
  }

  /** Starts the RTMP front once the HTTP server (its callbacks' target) listens. */
  async start(httpBase: string): Promise<void> {
    if (!this.enabled) return;
    this.front = await RtmpFront.start(
      {
        dir: join(this.settings.dataDir, 'rtmp-front'),
        modulePath: NGINX_RTMP_MODULE,
        host: this.settings.host,
        port: this.settings.port,
        callbackBase: `${httpBase}/internal/rtmp/${this.callbackSecret}`,
      },
      this.ctx.logger.child({ component: 'rtmp-front' }),
    );
  }

  /** Where publishers send (OBS: Server), without the stream key. */
  rtmpUrl(requestHost: string | undefined): string {
    if (this.settings.publicUrl) return this.settings.publicUrl;
    const host =
      hostnameOf(this.settings.httpPublicUrl) ?? hostnameOf(`http://${requestHost ?? ''}`) ?? '127.0.0.1';
    return `rtmp://${host}:${this.settings.port}/live`;
  }

  async createKey(roomId: string, name: string, requestHost: string | undefined) {
    this.requireEnabled();
    const { key, streamKey } = await this.keys.create(roomId, name);
    this.ctx.logger.info({ room: roomId, key: key.id, name }, 'RTMP ingest key created');
    return {
      id: key.id,
      name: key.name,
      createdAt: key.createdAt,
      rtmpUrl: this.rtmpUrl(requestHost),
      streamKey,
    };
  }

  async listKeys(roomId: string): Promise<IngestKeyInfo[]> {
    const live = new Map([...this.sessions.values()].map((s) => [s.key.id, s.seat.peer.id]));
    return (await this.keys.list(roomId)).map((key) => {
      const peerId = live.get(key.id);
      return {
        id: key.id,
        name: key.name,
        createdAt: key.createdAt,
        live: peerId !== undefined,
        ...(peerId ? { peerId } : {}),
      };
    });
  }

  /** Revokes the key; its publisher leaves the stage now and is cut off by the front. */
  async deleteKey(roomId: string, id: string): Promise<void> {
    const deleted = await this.keys.delete(roomId, id);
    // Stopped even when the key was gone already (revoked meanwhile by another request).
    for (const session of [...this.sessions.values()]) if (session.key.id === id) await this.stop(session);
    if (!deleted) throw new StagecastError('NOT_FOUND', 'No such ingest key');
    this.ctx.logger.info({ room: roomId, key: id }, 'RTMP ingest key deleted');
  }

  private async revoke(key: IngestKey): Promise<void> {
    await this.deleteKey(key.roomId, key.id).catch((error: unknown) =>
      this.ctx.logger.warn({ err: error, room: key.roomId, key: key.id }, 'revoking a removed key failed'),
    );
  }

  /**
   * The front asks before admitting a publisher: a known key not already live takes a seat on
   * its room's stage (or the publisher is refused: unknown key, full stage, another process
   * owns the room's media). Media work starts only once admitted.
   */
  async onPublish(streamKey: string): Promise<boolean> {
    const key = await this.keys.find(streamKey);
    if (!key || [...this.sessions.values()].some((s) => s.key.id === key.id)) return false;
    let seat: IngressSeat;
    try {
      seat = await this.ingress.join(key.roomId, key.name, (reason) => {
        // An encoder reconnects on its own: a host's removal (off the stage, a ban) revokes the
        // key, or the participant would be back a second later. A new key brings it back.
        if (reason === 'removed') void this.revoke(key);
        else void this.onDone(streamKey);
      });
    } catch (error) {
      this.ctx.logger.warn({ err: error, room: key.roomId, key: key.id }, 'RTMP publisher refused');
      return false;
    }
    const session: RtmpSession = { key, streamKey, seat, ffmpeg: undefined, stopped: false };
    this.sessions.set(streamKey, session);
    // After the answer: the front plays the stream to FFmpeg only once it admitted it.
    setImmediate(() => {
      this.startMedia(session).catch((error: unknown) => {
        this.ctx.logger.warn({ err: error, room: key.roomId, key: key.id }, 'RTMP ingest media failed');
        void this.stop(session);
      });
    });
    return true;
  }

  /** Every few seconds: a publisher (or our player) goes on only while its key is valid. */
  async onUpdate(streamKey: string): Promise<boolean> {
    const session = this.sessions.get(streamKey);
    if (!session || session.stopped) return false;
    // Another process may have revoked the key: Redis tells.
    if (await this.keys.find(streamKey)) return true;
    await this.stop(session);
    return false;
  }

  /** The publisher stopped. */
  async onDone(streamKey: string): Promise<void> {
    const session = this.sessions.get(streamKey);
    if (session) await this.stop(session);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.stop(s)));
    await this.front?.close();
  }

  private async startMedia(session: RtmpSession): Promise<void> {
    const { room, peer } = session.seat;
    const video = await room.createPlainTransport(peer);
    const audio = await room.createPlainTransport(peer);
    const videoTarget: RtpTarget = { ...video, ssrc: randomInt(1, 2 ** 31), payloadType: VIDEO_PT };
    const audioTarget: RtpTarget = { ...audio, ssrc: randomInt(1, 2 ** 31), payloadType: AUDIO_PT };
    // Producers first: mediasoup drops RTP that arrives before its producer exists.
    await room.produce(peer, {
      transportId: video.id,
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
        encodings: [{ ssrc: videoTarget.ssrc }],
      },
    });
    await room.produce(peer, {
      transportId: audio.id,
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
        encodings: [{ ssrc: audioTarget.ssrc }],
      },
    });
    if (session.stopped) return;
    const source = `rtmp://${rtmpPlayHost(this.settings.host)}:${this.settings.port}/live/${session.streamKey}`;
    const ffmpeg = spawn('ffmpeg', buildRtmpIngestArgs({ source, video: videoTarget, audio: audioTarget }), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    session.ffmpeg = ffmpeg;
    const log = this.ctx.logger.child({ room: session.key.roomId, key: session.key.id });
    // The stream key is a secret: FFmpeg names its input in errors.
    ffmpeg.stderr
      ?.setEncoding('utf8')
      .on('data', (text: string) =>
        log.warn({ ffmpeg: text.split(session.streamKey).join('***').trim() }, 'RTMP ingest FFmpeg'),
      );
    ffmpeg.once('exit', (code, signal) => {
      if (!session.stopped) log.info({ code, signal }, 'RTMP ingest FFmpeg ended');
      void this.stop(session);
    });
  }

  private async stop(session: RtmpSession): Promise<void> {
    if (session.stopped) return;
    session.stopped = true;
    if (this.sessions.get(session.streamKey) === session) this.sessions.delete(session.streamKey);
    const ffmpeg = session.ffmpeg;
    if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      ffmpeg.kill('SIGTERM');
      const kill = setTimeout(() => ffmpeg.kill('SIGKILL'), 3_000);
      kill.unref();
      ffmpeg.once('exit', () => clearTimeout(kill));
    }
    await this.ingress.leave(session.seat);
  }

  private requireEnabled(): void {
    if (!this.enabled)
      throw new StagecastError('NOT_FOUND', 'RTMP ingest is off on this server (set STAGECAST_RTMP_PORT)');
  }
}

function hostnameOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { hostname } = new URL(url);
    return hostname || undefined;
  } catch {
    return undefined;
  }
}
