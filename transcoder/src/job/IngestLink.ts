import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  compositorChannel,
  INGEST_CHANNEL,
  type CompositorMessage,
  type Cue,
  type IngestMessage,
  type RtpInput,
  type StageSnapshot,
} from '@stagecast/protocol';
import { ingestMessageSchema } from '../core/schemas.js';
import { assertUnreachable } from '@stagecast/protocol';

export interface IngestLinkEvents {
  /** Ingest sent a stage snapshot (possibly stale, or from a process without the room: see StageFence). */
  onStage: (stage: StageSnapshot, epoch: number) => void;
  /** Ingest (or a host via ingest) asked the broadcast to stop. */
  onStop: () => void;
  /** A host sent a cue; the playlists list it from now on. */
  onCue: (cue: Cue) => void;
  /** The room's restream destinations changed. */
  onRestreams: () => void;
}

interface PendingBind {
  resolve: (input: RtpInput) => void;
  reject: (error: Error) => void;
}

/** Why a bind did not give RTP inputs. */
export class BindError extends Error {
  override readonly name = 'BindError';
}

/**
 * The compositor's side of the handshake in protocol/jobs.ts, for one room:
 * hello → (stage) → bind → (bound | bindFailed) → keyFrame … release → ended.
 */
export class IngestLink {
  private readonly pending = new Map<string, PendingBind>();
  private closed = false;

  private constructor(
    readonly roomId: string,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly events: IngestLinkEvents,
    private readonly logger: Logger,
  ) {
    sub.on('message', (channel: string, raw: string) => {
      if (channel === compositorChannel(roomId)) this.onMessage(raw);
    });
    sub.on('error', (error: Error) => logger.warn({ err: error }, 'ingest link subscriber error'));
  }

  /** Subscribes first, so no answer to our `hello` can be missed. */
  static async create(
    roomId: string,
    pub: Redis,
    events: IngestLinkEvents,
    logger: Logger,
  ): Promise<IngestLink> {
    const sub = pub.duplicate();
    const link = new IngestLink(roomId, pub, sub, events, logger);
    await sub.subscribe(compositorChannel(roomId));
    return link;
  }

  async send(msg: CompositorMessage): Promise<void> {
    await this.pub.publish(INGEST_CHANNEL, JSON.stringify(msg));
  }

  /** Asks ingest to send one producer's RTP (a feed) to the relay's ports, bound already. */
  async bind(
    feedId: string,
    host: string,
    producerId: string,
    ports: { rtpPort: number; rtcpPort: number },
    timeoutMs: number,
  ): Promise<RtpInput> {
    const answer = new Promise<RtpInput>((resolve, reject) => this.pending.set(feedId, { resolve, reject }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BindError(`no answer to bind within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await this.send({ type: 'bind', roomId: this.roomId, feedId, host, producerId, ...ports });
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(feedId);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new BindError('link closed'));
    this.pending.clear();
    this.sub.disconnect();
  }

  private onMessage(raw: string): void {
    let msg: IngestMessage;
    try {
      msg = ingestMessageSchema.parse(JSON.parse(raw));
    } catch {
      this.logger.warn('ignored a malformed ingest message');
      return;
    }
    if (msg.roomId !== this.roomId) return;
    switch (msg.type) {
      case 'stage':
        this.events.onStage(msg.stage, msg.epoch);
        break;
      case 'bound':
        this.pending.get(msg.feedId)?.resolve(msg.input);
        break;
      case 'bindFailed':
        this.pending.get(msg.feedId)?.reject(new BindError(msg.message));
        break;
      case 'stop':
        this.events.onStop();
        break;
      case 'cue':
        this.events.onCue(msg.cue);
        break;
      case 'restreams':
        this.events.onRestreams();
        break;
      default:
        assertUnreachable(msg);
    }
  }
}
