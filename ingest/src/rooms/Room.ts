import type { types } from 'mediasoup';
import {
  can,
  isStageRole,
  StagecastError,
  type ConsumerOptions,
  type MediaKind,
  type MediaSource,
  type PlainTransportInfo,
  type ProducerInfo,
  type Role,
  type RoomClosedReason,
  type RtpCapabilities,
  type RtpParameters,
  type StagePeer,
  type TransportOptions,
  type DtlsParameters,
} from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { TypedEmitter } from '../core/TypedEmitter.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import { Peer, producerInfo, type PeerTransport, type ProducerAppData } from './Peer.js';
import { createStageMedia, type StageMedia } from './stageMedia.js';
import { reserveConsume, reserveSource, reserveTransport, type PeerMediaLimits } from './mediaLimits.js';

export interface RoomMediaOptions {
  listenIp: string;
  announcedIp: string | undefined;
  maxStage: number;
  /** Per-peer caps; a request over one is refused with LIMIT_REACHED and creates nothing. */
  limits: PeerMediaLimits;
}

interface RoomEvents extends Record<string, unknown[]> {
  /** A peer with a stage role is now on stage (joined, or promoted). */
  stageJoined: [peer: StagePeer];
  /** A peer left the stage (disconnected, demoted or left it). */
  stageLeft: [peerId: string];
  producerNew: [producer: ProducerInfo];
  producerClosed: [producerId: string, peerId: string];
  producerPaused: [producerId: string, peerId: string, paused: boolean];
  /** The server closed a consumer of `peerId` (its producer went away). */
  consumerClosed: [peerId: string, consumerId: string];
  activeSpeaker: [peerId: string | null];
  /** Emitted once; the room's router is gone. */
  closed: [reason: RoomClosedReason];
}

const SOURCE_KIND: Record<MediaSource, MediaKind> = {
  camera: 'video',
  screen: 'video',
  mic: 'audio',
  'screen-audio': 'audio',
};

/**
 * A room on this ingest process: its connected peers and, on the process that owns the room's
 * media, the stage's mediasoup router and their media. The router is created by the first
 * stage request, so a process holding only viewers and chat (who watch HLS) never has one.
 */
export class Room extends TypedEmitter<RoomEvents> {
  readonly peers = new Map<string, Peer>();
  private activeSpeakerPeerId: string | null = null;
  private closed = false;
  private media: StageMedia | undefined;
  private opening: Promise<StageMedia> | undefined;
  private readonly logger: Logger;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly pool: WorkerPool,
    private readonly options: RoomMediaOptions,
    logger: Logger,
  ) {
    const child = logger.child({ room: id });
    super(child);
    this.logger = child;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The stage's router, once a stage request created it. */
  get router(): types.Router | undefined {
    return this.media?.router;
  }

  /** The stage's router, created on first use (once, even under concurrent requests). */
  async openRouter(): Promise<types.Router> {
    this.opening ??= this.createMedia().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return (await this.opening).router;
  }

  private async createMedia(): Promise<StageMedia> {
    const media = await createStageMedia(this.pool, (peerId) => this.setActiveSpeaker(peerId));
    // Closed meanwhile: nothing would ever close this router.
    if (this.closed) {
      media.router.close();
      throw new StagecastError('ROOM_CLOSED', 'The room was closed');
    }
    media.router.observer.once('close', () => this.close('worker-died'));
    this.media = media;
    return media;
  }

  /** The router's RTP capabilities, for a stage client's device. */
  async rtpCapabilities(peer: Peer): Promise<types.RtpCapabilities> {
    this.require(peer, 'publish', 'Viewers watch the HLS stream');
    return (await this.openRouter()).rtpCapabilities;
  }

  get activeSpeaker(): string | null {
    return this.activeSpeakerPeerId;
  }

  stage(): StagePeer[] {
    return [...this.peers.values()].filter((p) => isStageRole(p.role)).map((p) => p.toStagePeer());
  }

  stageCount(): number {
    return [...this.peers.values()].filter((p) => isStageRole(p.role)).length;
  }

  /** Adds a connected peer; a peer with the same id (an older connection) is replaced. */
  addPeer(peer: Peer): Peer | undefined {
    const previous = this.peers.get(peer.id);
    if (previous) this.removePeer(previous.id);
    this.peers.set(peer.id, peer);
    if (isStageRole(peer.role)) this.safeEmit('stageJoined', peer.toStagePeer());
    return previous;
  }

  removePeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    this.closePeerProducers(peer);
    peer.close();
    if (isStageRole(peer.role)) this.safeEmit('stageLeft', peer.id);
  }

  getPeer(peerId: string): Peer {
    const peer = this.peers.get(peerId);
    if (!peer) throw new StagecastError('NOT_FOUND', 'That person is not in this room');
    return peer;
  }

  /** Changes a peer's role; leaving a stage role closes its media at once. */
  setRole(peerId: string, role: Role): void {
    const peer = this.peers.get(peerId);
    if (!peer || peer.role === role) return;
    const wasOnStage = isStageRole(peer.role);
    peer.role = role;
    if (wasOnStage && !isStageRole(role)) {
      this.closePeerProducers(peer);
      peer.closeMedia();
      this.safeEmit('stageLeft', peer.id);
    } else if (!wasOnStage && isStageRole(role)) {
      this.safeEmit('stageJoined', peer.toStagePeer());
    }
  }

  async createWebRtcTransport(peer: Peer, direction: 'send' | 'recv'): Promise<TransportOptions> {
    // Viewers watch HLS: the WebRTC stage is for those who may publish.
    this.require(
      peer,
      'publish',
      direction === 'send' ? 'Only people on stage can publish' : 'Viewers watch the HLS stream',
    );
    const router = await this.openRouter();
    const release = reserveTransport(peer, 'webrtc', this.options.limits);
    const transport = await router
      .createWebRtcTransport({
        listenInfos: [
          { protocol: 'udp', ip: this.options.listenIp, announcedAddress: this.options.announcedIp },
          { protocol: 'tcp', ip: this.options.listenIp, announcedAddress: this.options.announcedIp },
        ],
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { direction },
      })
      .finally(release);
    this.adoptTransport(peer, transport);
    // A client that closes its transport ends DTLS; the server's side would otherwise hold a
    // place under the transport limit for the rest of the connection.
    transport.on('dtlsstatechange', (state) => {
      if (state === 'closed') transport.close();
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /** A comedia plain transport with RTCP on its own port, for bots sending RTP. */
  async createPlainTransport(peer: Peer): Promise<PlainTransportInfo> {
    this.require(peer, 'publish', 'Only people on stage can publish');
    const router = await this.openRouter();
    const release = reserveTransport(peer, 'plain', this.options.limits);
    const transport = await router
      .createPlainTransport({
        listenInfo: {
          protocol: 'udp',
          ip: this.options.listenIp,
          announcedAddress: this.options.announcedIp,
        },
        rtcpMux: false,
        comedia: true,
      })
      .finally(release);
    this.adoptTransport(peer, transport);
    return {
      id: transport.id,
      ip: this.options.announcedIp ?? this.options.listenIp,
      port: transport.tuple.localPort,
      rtcpPort: transport.rtcpTuple?.localPort ?? transport.tuple.localPort,
    };
  }

  async connectTransport(peer: Peer, transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const transport = this.transportOf(peer, transportId);
    if (!('iceParameters' in transport))
      throw new StagecastError('BAD_REQUEST', 'Plain transports need no connect');
    await transport.connect({ dtlsParameters }).catch((error: unknown) => {
      throw new StagecastError(
        'BAD_REQUEST',
        `Cannot connect: ${error instanceof Error ? error.message : 'invalid DTLS parameters'}`,
      );
    });
  }

  async restartIce(peer: Peer, transportId: string): Promise<types.IceParameters> {
    const transport = this.transportOf(peer, transportId);
    if (!('restartIce' in transport)) throw new StagecastError('BAD_REQUEST', 'Not a WebRTC transport');
    return transport.restartIce();
  }

  async produce(
    peer: Peer,
    req: {
      transportId: string;
      kind: MediaKind;
      source: MediaSource;
      rtpParameters: RtpParameters;
      paused?: boolean;
    },
  ): Promise<ProducerInfo> {
    this.require(peer, 'publish', 'Only people on stage can publish');
    if (SOURCE_KIND[req.source] !== req.kind)
      throw new StagecastError('BAD_REQUEST', `A ${req.source} producer must be ${SOURCE_KIND[req.source]}`);
    const transport = this.transportOf(peer, req.transportId);
    const release = reserveSource(peer, req.source, this.options.limits);
    let producer: types.Producer<ProducerAppData>;
    try {
      producer = await transport.produce<ProducerAppData>({
        kind: req.kind,
        rtpParameters: req.rtpParameters as types.RtpParameters,
        // A hard-muted source starts paused: publishing again must not lift the mute.
        paused: (req.paused ?? false) || isHardMuted(peer, req.source),
        appData: { peerId: peer.id, source: req.source },
      });
    } catch (error) {
      throw new StagecastError(
        'BAD_REQUEST',
        `Cannot produce: ${error instanceof Error ? error.message : 'invalid parameters'}`,
      );
    } finally {
      release();
    }
    // The role may have changed while mediasoup was working (demoted mid-request).
    if (!this.peers.has(peer.id) || !can(peer.role, 'publish') || transport.closed) {
      producer.close();
      throw new StagecastError('FORBIDDEN', 'You are no longer on stage');
    }
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      if (peer.producers.delete(producer.id)) this.safeEmit('producerClosed', producer.id, peer.id);
    });
    if (producer.kind === 'audio' && req.source === 'mic') {
      void this.media?.speakerObserver.addProducer({ producerId: producer.id }).catch(() => undefined);
    }
    const info = producerInfo(producer);
    this.safeEmit('producerNew', info);
    return info;
  }

  closeProducer(peer: Peer, producerId: string): void {
    const producer = peer.producers.get(producerId);
    if (!producer) throw new StagecastError('NOT_FOUND', 'No such producer of yours');
    producer.close();
  }

  async setProducerPaused(peer: Peer, producerId: string, paused: boolean): Promise<void> {
    const producer = peer.producers.get(producerId);
    if (!producer) throw new StagecastError('NOT_FOUND', 'No such producer of yours');
    if (!paused && isHardMuted(peer, producer.appData.source))
      throw new StagecastError('HARD_MUTED', 'A host muted this; ask a host to lift it');
    if (paused) await producer.pause();
    else await producer.resume();
    this.safeEmit('producerPaused', producer.id, peer.id, paused);
  }

  async consume(
    peer: Peer,
    req: { transportId: string; producerId: string; rtpCapabilities: RtpCapabilities },
  ): Promise<ConsumerOptions> {
    this.require(peer, 'publish', 'Viewers watch the HLS stream');
    const transport = this.transportOf(peer, req.transportId);
    const producer = this.findProducer(req.producerId);
    if (!producer) throw new StagecastError('NOT_FOUND', 'That producer is gone');
    const rtpCapabilities = req.rtpCapabilities as types.RtpCapabilities;
    const router = await this.openRouter();
    let consumable = false;
    try {
      consumable = router.canConsume({ producerId: producer.id, rtpCapabilities });
    } catch {
      // Malformed capabilities make mediasoup throw; they are the client's fault.
    }
    if (!consumable) {
      throw new StagecastError('BAD_REQUEST', 'Your device cannot receive this media');
    }
    const release = reserveConsume(peer, producer.id, this.options.limits);
    // Paused until the client has its consumer ready, so no key frame is lost.
    const consumer = await transport
      .consume({ producerId: producer.id, rtpCapabilities, paused: true })
      .finally(release);
    // The peer may have left the stage (its media closed) while mediasoup was working.
    if (transport.closed || this.peers.get(peer.id) !== peer) {
      consumer.close();
      throw new StagecastError('FORBIDDEN', 'You are no longer on stage');
    }
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      consumer.close();
      this.safeEmit('consumerClosed', peer.id, consumer.id);
    });
    return {
      id: consumer.id,
      producerId: producer.id,
      peerId: producer.appData.peerId,
      kind: consumer.kind,
      source: producer.appData.source,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    };
  }

  async resumeConsumer(peer: Peer, consumerId: string): Promise<void> {
    const consumer = peer.consumers.get(consumerId);
    if (!consumer) throw new StagecastError('NOT_FOUND', 'No such consumer of yours');
    await consumer.resume();
  }

  findProducer(producerId: string): types.Producer<ProducerAppData> | undefined {
    for (const peer of this.peers.values()) {
      const producer = peer.producers.get(producerId);
      if (producer) return producer;
    }
    return undefined;
  }

  allProducers(): types.Producer<ProducerAppData>[] {
    return [...this.peers.values()].flatMap((p) => [...p.producers.values()]);
  }

  /** Idempotent; closes the router and every peer's media, emits `closed` once. */
  close(reason: RoomClosedReason = 'deleted'): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.media?.router.close();
    this.logger.info({ reason }, 'room closed');
    this.safeEmit('closed', reason);
    this.removeAllListeners();
  }

  private closePeerProducers(peer: Peer): void {
    for (const producer of [...peer.producers.values()]) producer.close();
    if (this.activeSpeakerPeerId === peer.id) this.setActiveSpeaker(null);
  }

  private setActiveSpeaker(peerId: string | null): void {
    if (this.activeSpeakerPeerId === peerId) return;
    this.activeSpeakerPeerId = peerId;
    this.safeEmit('activeSpeaker', peerId);
  }

  private adoptTransport(peer: Peer, transport: PeerTransport): void {
    // Demoted, replaced or gone while mediasoup was working: nobody would ever close it.
    if (this.peers.get(peer.id) !== peer || !can(peer.role, 'publish')) {
      transport.close();
      throw new StagecastError('FORBIDDEN', 'You are no longer on stage');
    }
    peer.transports.set(transport.id, transport);
    const observer: types.TransportObserver = transport.observer;
    observer.once('close', () => peer.transports.delete(transport.id));
  }

  private transportOf(peer: Peer, transportId: string) {
    const transport = peer.transports.get(transportId);
    if (!transport) throw new StagecastError('NOT_FOUND', 'No such transport of yours');
    return transport;
  }

  private require(peer: Peer, permission: 'publish', message: string): void {
    if (!can(peer.role, permission)) throw new StagecastError('FORBIDDEN', message);
  }
}

function isHardMuted(peer: Peer, source: MediaSource): boolean {
  return (source === 'mic' || source === 'camera') && peer.hardMuted.has(source);
}
