import type { types } from 'mediasoup';
import type { Redis } from 'ioredis';
import {
  assertUnreachable,
  compositorChannel,
  INGEST_CHANNEL,
  type CompositorMessage,
  type IngestMessage,
  type LowerThird,
  type RtpInput,
} from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import type { Room } from '../rooms/Room.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { MediaLease } from '../rooms/MediaLease.js';
import type { RoomStore } from '../rooms/RoomStore.js';
import { parseJsonOrUndefined } from '../core/validation.js';
import type { LayoutStore } from './LayoutStore.js';
import { compositorCapabilities, rtpInputOf } from './rtpInputs.js';
import { compositorMessageSchema } from './schemas.js';
import { stageSnapshot } from './stageSnapshot.js';

type Message<T extends CompositorMessage['type']> = Extract<CompositorMessage, { type: T }>;

/** One producer's RTP, sent to the compositor's relay for as long as it wants it. */
interface Feed {
  transport: types.PlainTransport;
  consumer: types.Consumer | null;
}

export interface CompositorBridgeOptions {
  rooms: RoomManager;
  /** Only the owner of a room's media speaks to its compositor about the stage. */
  media: MediaLease;
  store: RoomStore;
  layouts: LayoutStore;
  /** The highlighted question of a room, drawn as the lower-third. */
  lowerThird: (roomId: string) => Promise<LowerThird | null>;
  /** Publishes to the compositor and runs commands (stage versions). */
  pub: Redis;
  /** A connection of its own, in subscriber mode. */
  sub: Redis;
  /** IP the plain transports towards the compositor bind. */
  listenIp: string;
  /** Called for `ended` messages (the broadcast service updates the live state). */
  onEnded: (msg: Message<'ended'>) => void;
  /** Called for `hello` messages: a compositor (re)started the room. */
  onHello?: (roomId: string) => void;
  /** Called for `restream` messages: a destination's status changed. */
  onRestream?: (msg: Message<'restream'>) => void;
  logger: Logger;
}

/** How long stage changes are gathered before the compositor hears of them. */
const STAGE_DEBOUNCE_MS = 150;

/**
 * The ingest side of the compositor handshake (see protocol/jobs.ts): tells the compositor who
 * is on stage and which layout hosts chose, and sends each feed it binds one producer's RTP.
 * Only the process owning the room's media (see MediaLease) sends stage snapshots and feeds;
 * one holding only viewers and chat never describes the stage, or it would show the
 * compositor its own empty one (the slate) while the owner's stage is live.
 */
export class CompositorBridge {
  /** Feeds by room, then by the compositor's feed id (ids need only be unique per room). */
  private readonly feeds = new Map<string, Map<string, Feed>>();
  private readonly pendingStage = new Map<string, NodeJS.Timeout>();
  private readonly wired = new WeakSet<Room>();
  private readonly rooms: RoomManager;
  private readonly logger: Logger;

  constructor(private readonly options: CompositorBridgeOptions) {
    this.rooms = options.rooms;
    this.logger = options.logger;
    options.sub.on('message', (channel: string, raw: string) => {
      if (channel !== INGEST_CHANNEL) return;
      void this.onMessage(raw);
    });
    this.rooms.on('roomOpened', (room) => this.wireRoom(room));
    for (const room of this.rooms.all()) this.wireRoom(room);
  }

  async start(): Promise<void> {
    await this.options.sub.subscribe(INGEST_CHANNEL);
  }

  close(): void {
    for (const timer of this.pendingStage.values()) clearTimeout(timer);
    this.pendingStage.clear();
    for (const roomId of [...this.feeds.keys()]) this.releaseRoom(roomId);
  }

  /**
   * The stage or the layout choice of a room changed: the compositor hears of it shortly (a
   * burst of changes, such as someone joining with camera and microphone, makes one snapshot).
   */
  stageChanged(roomId: string): void {
    if (this.pendingStage.has(roomId)) return;
    this.pendingStage.set(
      roomId,
      setTimeout(() => {
        this.pendingStage.delete(roomId);
        void this.sendStage(roomId).catch((error: unknown) =>
          this.logger.warn({ err: error, room: roomId }, 'stage update failed'),
        );
      }, STAGE_DEBOUNCE_MS),
    );
  }

  private async onMessage(raw: string): Promise<void> {
    const parsed = compositorMessageSchema.safeParse(parseJsonOrUndefined(raw));
    if (!parsed.success) {
      this.logger.warn({ issue: parsed.error.issues[0]?.message }, 'ignored a malformed compositor message');
      return;
    }
    const msg: CompositorMessage = parsed.data;
    try {
      switch (msg.type) {
        case 'hello':
          // A compositor (re)starts the room: feeds of a predecessor that died are dead too.
          this.releaseRoom(msg.roomId);
          await this.sendStage(msg.roomId, true);
          this.options.onHello?.(msg.roomId);
          break;
        case 'stageRequest':
          await this.sendStage(msg.roomId, true);
          break;
        case 'bind':
          await this.bind(msg);
          break;
        case 'keyFrame':
          await this.requestKeyFrame(msg.roomId, msg.feedId);
          break;
        case 'release':
          this.release(msg.roomId, msg.feedId);
          break;
        case 'restream':
          this.options.onRestream?.(msg);
          break;
        case 'ended':
          this.releaseRoom(msg.roomId);
          this.options.onEnded(msg);
          break;
        default:
          assertUnreachable(msg);
      }
    } catch (error) {
      this.logger.error({ err: error, type: msg.type, room: msg.roomId }, 'compositor handshake step failed');
    }
  }

  private async send(roomId: string, msg: IngestMessage): Promise<void> {
    await this.options.pub.publish(compositorChannel(roomId), JSON.stringify(msg));
  }

  /** The room's live instance and lease epoch, if this process owns the room's media. */
  private owned(roomId: string): { room: Room; epoch: number } | undefined {
    const room = this.rooms.get(roomId);
    const epoch = this.options.media.epochOf(roomId);
    return room && epoch !== undefined ? { room, epoch } : undefined;
  }

  /**
   * Sends the stage of a room whose media this process owns. On `hello` (and `stageRequest`),
   * another process answers with an empty stage at version 0 and epoch 0, which any owner's
   * snapshot supersedes: so a compositor learns the room exists even while nobody is on stage.
   */
  private async sendStage(roomId: string, answeringHello = false): Promise<void> {
    if (this.owned(roomId)) {
      // The version first, the layout after: a snapshot with a higher version then never
      // carries an older choice than one with a lower version (same connection, in order).
      const version = await this.options.pub.incr(`stagecast:room:${roomId}:stage-version`);
      const layout = await this.options.layouts.get(roomId);
      const lowerThird = await this.options.lowerThird(roomId);
      // Read after the awaits, so the snapshot is the stage as it is now.
      const owned = this.owned(roomId);
      if (!owned) return;
      const { room, epoch } = owned;
      const stage = stageSnapshot({
        roomName: room.name,
        stage: room.stage(),
        activeSpeakerPeerId: room.activeSpeaker,
        layout,
        lowerThird,
        version,
        codecOf: (producerId) =>
          room.findProducer(producerId)?.rtpParameters.codecs[0]?.mimeType.split('/')[1],
      });
      await this.send(roomId, { type: 'stage', roomId, epoch, stage });
    } else if (answeringHello) {
      const record = await this.options.store.get(roomId);
      if (!record) return;
      const layout = await this.options.layouts.get(roomId);
      const stage = stageSnapshot({
        roomName: record.name,
        stage: [],
        activeSpeakerPeerId: null,
        layout,
        lowerThird: await this.options.lowerThird(roomId),
        version: 0,
        codecOf: () => undefined,
      });
      await this.send(roomId, { type: 'stage', roomId, epoch: 0, stage });
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

  /**
   * Sends one producer's RTP to the relay's ports. The relay already listens, so the consumer
   * starts unpaused and a video feed asks its producer for a key frame at once.
   */
  private async bind(msg: Message<'bind'>): Promise<void> {
    const { roomId, feedId } = msg;
    // Only the owner of the room's media (its router and producers) answers.
    const room = this.owned(roomId)?.room;
    if (!room) return;
    const fail = (message: string) => this.send(roomId, { type: 'bindFailed', roomId, feedId, message });
    // A repeated bind (a retry) replaces the feed instead of sending the relay RTP twice.
    this.release(roomId, feedId);
    if (!room.findProducer(msg.producerId)) {
      await fail('That producer is not in the room (any more); wait for the next stage snapshot');
      return;
    }
    let feed: Feed | undefined;
    let input: RtpInput;
    try {
      const router = await room.openRouter();
      const transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: this.options.listenIp },
        rtcpMux: false,
        comedia: false,
      });
      const created: Feed = { transport, consumer: null };
      feed = created;
      this.feedsOf(roomId).set(feedId, created);
      // Whatever closes the transport (release, router closed, producer gone) forgets the feed.
      transport.observer.once('close', () => this.forget(roomId, feedId, created));
      await transport.connect({ ip: msg.host, port: msg.rtpPort, rtcpPort: msg.rtcpPort });
      const consumer = await transport.consume({
        producerId: msg.producerId,
        rtpCapabilities: compositorCapabilities(router),
        paused: false,
      });
      created.consumer = consumer;
      // The relay fills the slot on its own; a transport sending nothing is only a leak.
      consumer.on('producerclose', () => transport.close());
      consumer.on('transportclose', () => this.forget(roomId, feedId, created));
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
      input = rtpInputOf(consumer, msg);
    } catch (error) {
      // Released (or replaced by a newer bind) while being set up: nobody waits for an answer.
      const superseded = feed !== undefined && this.feeds.get(roomId)?.get(feedId) !== feed;
      feed?.transport.close();
      if (superseded) return;
      await fail(error instanceof Error ? error.message : 'bind failed');
      return;
    }
    if (feed.transport.closed) return;
    await this.send(roomId, { type: 'bound', roomId, feedId, input });
  }

  private async requestKeyFrame(roomId: string, feedId: string): Promise<void> {
    const consumer = this.feeds.get(roomId)?.get(feedId)?.consumer;
    // Unknown feeds belong to another process (or were released): not ours to answer.
    if (!consumer || consumer.closed || consumer.kind !== 'video') return;
    await consumer.requestKeyFrame().catch((error: unknown) => {
      // Closed while asked (the producer left): the slot's relay no longer waits for it.
      if (!consumer.closed) throw error;
    });
  }

  private feedsOf(roomId: string): Map<string, Feed> {
    let feeds = this.feeds.get(roomId);
    if (!feeds) {
      feeds = new Map();
      this.feeds.set(roomId, feeds);
    }
    return feeds;
  }

  /** Drops a feed from the maps if it is still the one registered under its id. */
  private forget(roomId: string, feedId: string, feed: Feed): void {
    const feeds = this.feeds.get(roomId);
    if (feeds?.get(feedId) !== feed) return;
    feeds.delete(feedId);
    if (feeds.size === 0) this.feeds.delete(roomId);
  }

  private release(roomId: string, feedId: string): void {
    const feed = this.feeds.get(roomId)?.get(feedId);
    if (!feed) return;
    this.forget(roomId, feedId, feed);
    feed.transport.close();
  }

  private releaseRoom(roomId: string): void {
    for (const feedId of [...(this.feeds.get(roomId)?.keys() ?? [])]) this.release(roomId, feedId);
  }
}
