import type { types } from 'mediasoup';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  compositorChannel,
  INGEST_CHANNEL,
  type CompositorMessage,
  type IngestMessage,
  type RtpInput,
  type StageSnapshot,
  type StageTile,
} from '@stagecast/protocol';
import type { Logger } from '../logger.js';
import type { Room } from '../rooms/Room.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { RoomStore } from '../rooms/RoomStore.js';
import { compositorCapabilities, rtpInputOf } from './rtpInputs.js';

const port = z.number().int().min(1).max(65535);
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), roomId: z.string(), jobId: z.string() }),
  z.object({ type: z.literal('stageRequest'), roomId: z.string() }),
  z.object({
    type: z.literal('bind'),
    roomId: z.string(),
    sessionId: z.string(),
    host: z.string().min(1),
    ports: z.array(z.object({ producerId: z.string(), rtpPort: port, rtcpPort: port })).max(64),
  }),
  z.object({ type: z.literal('listening'), roomId: z.string(), sessionId: z.string() }),
  z.object({ type: z.literal('release'), roomId: z.string(), sessionId: z.string() }),
  z.object({
    type: z.literal('ended'),
    roomId: z.string(),
    broadcastId: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
    recordingUrl: z.string().optional(),
  }),
]);

interface Session {
  roomId: string;
  transports: types.PlainTransport[];
  consumers: types.Consumer[];
}

/** How long stage changes are gathered before the compositor hears of them. */
const STAGE_DEBOUNCE_MS = 150;

/**
 * The ingest side of the compositor handshake (see protocol/jobs.ts): tells the compositor
 * who is on stage, and feeds each FFmpeg session RTP from paused consumers that are resumed
 * (with a key frame request) only once FFmpeg listens.
 */
export class CompositorBridge {
  private readonly sessions = new Map<string, Session>();
  private readonly pendingStage = new Map<string, NodeJS.Timeout>();
  private readonly wired = new WeakSet<Room>();

  constructor(
    private readonly rooms: RoomManager,
    private readonly store: RoomStore,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly listenIp: string,
    /** Called for `ended` messages (the broadcast service updates the live state). */
    private readonly onEnded: (msg: Extract<CompositorMessage, { type: 'ended' }>) => void,
    private readonly logger: Logger,
  ) {
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== INGEST_CHANNEL) return;
      void this.onMessage(raw);
    });
    rooms.on('roomOpened', (room) => this.wireRoom(room));
    for (const room of rooms.all()) this.wireRoom(room);
  }

  async start(): Promise<void> {
    await this.sub.subscribe(INGEST_CHANNEL);
  }

  close(): void {
    for (const timer of this.pendingStage.values()) clearTimeout(timer);
    this.pendingStage.clear();
    for (const id of [...this.sessions.keys()]) this.release(id);
  }

  private async onMessage(raw: string): Promise<void> {
    let msg: CompositorMessage;
    try {
      msg = messageSchema.parse(JSON.parse(raw));
    } catch {
      this.logger.warn('ignored a malformed compositor message');
      return;
    }
    try {
      switch (msg.type) {
        case 'hello':
          // A compositor (re)starts the room: sessions of a predecessor that died are dead too.
          this.releaseRoom(msg.roomId);
          await this.sendStage(msg.roomId, true);
          break;
        case 'stageRequest':
          await this.sendStage(msg.roomId, true);
          break;
        case 'bind':
          await this.bind(msg);
          break;
        case 'listening':
          await this.resume(msg.roomId, msg.sessionId);
          break;
        case 'release':
          this.release(msg.sessionId);
          break;
        case 'ended':
          this.releaseRoom(msg.roomId);
          this.onEnded(msg);
          break;
      }
    } catch (error) {
      this.logger.error({ err: error, type: msg.type, room: msg.roomId }, 'compositor handshake step failed');
    }
  }

  private async send(roomId: string, msg: IngestMessage): Promise<void> {
    await this.pub.publish(compositorChannel(roomId), JSON.stringify(msg));
  }

  /** The stage as the compositor lays it out. Camera-less people still get a tile. */
  private snapshot(room: Room, version: number): StageSnapshot {
    const tiles: StageTile[] = [];
    const audioProducerIds: string[] = [];
    for (const peer of room.stage()) {
      const live = (source: string) => peer.producers.find((p) => p.source === source && !p.paused);
      const screen = live('screen');
      if (screen) tiles.push({ peerId: peer.peerId, name: peer.name, source: 'screen', videoProducerId: screen.id });
      tiles.push({ peerId: peer.peerId, name: peer.name, source: 'camera', videoProducerId: live('camera')?.id ?? null });
      for (const p of peer.producers) if (p.kind === 'audio' && !p.paused) audioProducerIds.push(p.id);
    }
    return { roomName: room.name, tiles, audioProducerIds, activeSpeakerPeerId: room.activeSpeaker, version };
  }

  /**
   * Sends the stage of a room held by this process. On `hello`, a process without the room
   * answers with an empty stage at version 0, which any real snapshot supersedes.
   */
  private async sendStage(roomId: string, answeringHello = false): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) {
      const version = await this.pub.incr(`stagecast:room:${roomId}:stage-version`);
      await this.send(roomId, { type: 'stage', roomId, stage: this.snapshot(room, version) });
    } else if (answeringHello) {
      const record = await this.store.get(roomId);
      if (!record) return;
      const stage: StageSnapshot = { roomName: record.name, tiles: [], audioProducerIds: [], activeSpeakerPeerId: null, version: 0 };
      await this.send(roomId, { type: 'stage', roomId, stage });
    }
  }

  private wireRoom(room: Room): void {
    if (this.wired.has(room)) return;
    this.wired.add(room);
    const changed = () => this.stageChanged(room.id);
    room.on('stageJoined', changed);
    room.on('stageLeft', changed);
    room.on('producerNew', changed);
    room.on('producerClosed', changed);
    room.on('producerPaused', changed);
    room.on('activeSpeaker', changed);
  }

  private stageChanged(roomId: string): void {
    if (this.pendingStage.has(roomId)) return;
    this.pendingStage.set(
      roomId,
      setTimeout(() => {
        this.pendingStage.delete(roomId);
        void this.sendStage(roomId).catch((error: unknown) => this.logger.warn({ err: error }, 'stage update failed'));
      }, STAGE_DEBOUNCE_MS),
    );
  }

  private async bind(msg: Extract<CompositorMessage, { type: 'bind' }>): Promise<void> {
    // An empty stage needs no RTP, so every process may confirm it (the compositor takes the first answer).
    if (msg.ports.length === 0) {
      await this.send(msg.roomId, { type: 'bound', roomId: msg.roomId, sessionId: msg.sessionId, inputs: [] });
      return;
    }
    const room = this.rooms.get(msg.roomId);
    // Only a process that holds the room answers.
    if (!room) return;
    if (!msg.ports.every((p) => room.findProducer(p.producerId))) {
      const message = 'a producer left the stage; wait for the next stage snapshot';
      await this.send(msg.roomId, { type: 'bindFailed', roomId: msg.roomId, sessionId: msg.sessionId, message });
      return;
    }
    const session: Session = { roomId: msg.roomId, transports: [], consumers: [] };
    this.sessions.set(msg.sessionId, session);
    const inputs: RtpInput[] = [];
    try {
      const caps = compositorCapabilities(room.router);
      for (const ports of msg.ports) {
        const transport = await room.router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: this.listenIp },
          rtcpMux: false,
          comedia: false,
        });
        session.transports.push(transport);
        await transport.connect({ ip: msg.host, port: ports.rtpPort, rtcpPort: ports.rtcpPort });
        const consumer = await transport.consume({ producerId: ports.producerId, rtpCapabilities: caps, paused: true });
        session.consumers.push(consumer);
        inputs.push(rtpInputOf(consumer, ports));
      }
    } catch (error) {
      this.release(msg.sessionId);
      const message = error instanceof Error ? error.message : 'bind failed';
      await this.send(msg.roomId, { type: 'bindFailed', roomId: msg.roomId, sessionId: msg.sessionId, message });
      return;
    }
    await this.send(msg.roomId, { type: 'bound', roomId: msg.roomId, sessionId: msg.sessionId, inputs });
  }

  private async resume(roomId: string, sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    for (const consumer of session.consumers) {
      if (consumer.closed) continue;
      await consumer.resume();
      // FFmpeg can decode nothing until a key frame arrives.
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
    }
    await this.send(roomId, { type: 'flowing', roomId, sessionId });
  }

  private releaseRoom(roomId: string): void {
    for (const [id, session] of [...this.sessions]) if (session.roomId === roomId) this.release(id);
  }

  private release(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    for (const transport of session.transports) transport.close();
  }
}
