import { Device, type types } from 'mediasoup-client';
import type { MediaSource, ProducerInfo, StageModeration, StagePeer } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import { StagecastClientError } from './errors.js';
import type { Room } from './Room.js';

/** A track received from someone on stage. */
export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  source: MediaSource;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
}

export interface StageEvents extends Record<string, unknown[]> {
  trackAdded: [track: RemoteTrack];
  trackRemoved: [track: RemoteTrack];
  /** One's own producer started or stopped. */
  published: [source: MediaSource, producerId: string];
  unpublished: [source: MediaSource];
  /** The WebRTC connection state of the send or receive transport. */
  connectionState: [direction: 'send' | 'recv', state: string];
  /** One was put on air (in the composite) or backstage (seen and heard on stage only). */
  onAirChanged: [onAir: boolean];
  /**
   * A host or co-host acted on oneself: muted (the producer is paused locally too), hard-muted
   * (`setPaused(source, false)` is refused with HARD_MUTED until lifted), put on or off air.
   */
  moderated: [event: StageModeration];
}

export interface StageOptions {
  /** TURN/STUN servers for participants whose network blocks direct UDP to the server. */
  iceServers?: RTCIceServer[];
}

const SOURCE_KIND: Record<MediaSource, 'audio' | 'video'> = {
  camera: 'video',
  screen: 'video',
  mic: 'audio',
  'screen-audio': 'audio',
};

/**
 * The WebRTC stage in a browser (mediasoup-client): publish camera, microphone and screen,
 * receive everyone else on stage. Only for roles that may publish (host, co-host, guest).
 */
export class Stage extends Emitter<StageEvents> {
  private device: Device | null = null;
  private sendTransport: types.Transport | null = null;
  private recvTransport: types.Transport | null = null;
  private readonly producers = new Map<MediaSource, types.Producer>();
  private readonly remote = new Map<string, RemoteTrack>();
  private readonly offRoom: (() => void)[] = [];
  private readonly consuming = new Set<string>();
  private started = false;
  private lastOnAir: boolean;

  constructor(
    private readonly room: Room,
    private readonly options: StageOptions = {},
  ) {
    super();
    this.lastOnAir = this.onAir;
    // Listened to from construction, so a page shows "backstage" before it publishes.
    this.listenModeration();
  }

  private offModeration: (() => void) | null = null;

  private listenModeration(): void {
    if (this.offModeration) return;
    const onStage = () => {
      const onAir = this.onAir;
      if (onAir === this.lastOnAir) return;
      this.lastOnAir = onAir;
      this.emit('onAirChanged', onAir);
    };
    const onModerated = (event: StageModeration) => {
      if (event.peerId !== this.room.self.peerId) return;
      // The server paused the producer; pausing here too keeps the buttons truthful.
      if ((event.action === 'mute' || event.action === 'hardMute') && event.source)
        this.producers.get(event.source)?.pause();
      this.emit('moderated', event);
    };
    this.room.on('stageChanged', onStage);
    const offModerated = this.room.subscribe('stage:moderated', onModerated);
    this.offModeration = () => {
      this.room.off('stageChanged', onStage);
      offModerated();
      this.offModeration = null;
    };
  }

  /** One's own entry on stage, as the server last described it. */
  private get me(): StagePeer | undefined {
    return this.room.stage.find((p) => p.peerId === this.room.self.peerId);
  }

  /** In the composite; false while backstage (the others on stage see and hear one, the audience does not). */
  get onAir(): boolean {
    return this.me?.onAir ?? false;
  }

  /** Sources a host hard-muted: unmuting them is refused until a host lifts it. */
  get hardMuted(): ('mic' | 'camera')[] {
    return this.me?.hardMuted ?? [];
  }

  /** Tracks received from others, keyed by consumer id. */
  get remoteTracks(): RemoteTrack[] {
    return [...this.remote.values()];
  }

  producerOf(source: MediaSource): types.Producer | undefined {
    return this.producers.get(source);
  }

  /** Loads the device, opens the receive transport and consumes everyone on stage. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.listenModeration();
    const device = new Device();
    await device.load({ routerRtpCapabilities: await this.room.request('stage:capabilities', {}) });
    this.device = device;
    this.recvTransport = await this.createTransport('recv');
    this.offRoom.push(
      this.room.subscribe('producer:new', (producer) => void this.consume(producer).catch(() => undefined)),
      this.room.subscribe('consumer:closed', ({ consumerId }) => this.dropRemote(consumerId)),
    );
    for (const peer of this.room.stage) {
      for (const producer of peer.producers) await this.consume(producer).catch(() => undefined);
    }
  }

  /** Publishes a track as `source`; replaces the track if that source is already published. */
  async publish(
    source: MediaSource,
    track: MediaStreamTrack,
    opts: { paused?: boolean } = {},
  ): Promise<string> {
    if (!this.device) throw new StagecastClientError({ code: 'BAD_REQUEST', message: 'Call start() first' });
    if (track.kind !== SOURCE_KIND[source])
      throw new StagecastClientError({
        code: 'BAD_REQUEST',
        message: `${source} needs a ${SOURCE_KIND[source]} track`,
      });
    const existing = this.producers.get(source);
    if (existing && !existing.closed) {
      await existing.replaceTrack({ track });
      return existing.id;
    }
    this.sendTransport ??= await this.createTransport('send');
    const producer = await this.sendTransport.produce({
      track,
      stopTracks: false,
      appData: { source, paused: opts.paused ?? false },
      ...(source === 'camera' ? { encodings: [{ maxBitrate: 1_200_000 }] } : {}),
    });
    if (opts.paused) producer.pause();
    this.producers.set(source, producer);
    producer.on('trackended', () => void this.unpublish(source));
    this.emit('published', source, producer.id);
    return producer.id;
  }

  async unpublish(source: MediaSource): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer) return;
    this.producers.delete(source);
    producer.close();
    this.emit('unpublished', source);
    await this.room.request('stage:closeProducer', { producerId: producer.id }).catch(() => undefined);
  }

  /**
   * Mutes (pauses) or unmutes a published source, for everyone. Unmuting a source a host
   * hard-muted rejects with HARD_MUTED and leaves it muted.
   */
  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer) return;
    if (paused) producer.pause();
    else producer.resume();
    try {
      await this.room.request('stage:setProducerPaused', { producerId: producer.id, paused });
    } catch (error) {
      if (!paused) producer.pause();
      throw error;
    }
  }

  /** WebRTC statistics of the send or receive transport (e.g. `inbound-rtp` byte counters). */
  async getStats(direction: 'send' | 'recv'): Promise<RTCStatsReport | null> {
    const transport = direction === 'send' ? this.sendTransport : this.recvTransport;
    return transport ? transport.getStats() : null;
  }

  /** Closes both transports and forgets every track (after leaving the stage). */
  stop(): void {
    if (!this.started) return;
    this.offModeration?.();
    this.started = false;
    for (const off of this.offRoom.splice(0)) off();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = this.recvTransport = null;
    for (const source of [...this.producers.keys()]) this.emit('unpublished', source);
    this.producers.clear();
    for (const track of [...this.remote.values()]) this.dropRemote(track.consumerId);
    this.consuming.clear();
    this.device = null;
  }

  private async consume(producer: ProducerInfo): Promise<void> {
    if (producer.peerId === this.room.self.peerId || !this.recvTransport || !this.device) return;
    // The initial sweep and a `producer:new` can name the same producer.
    if (this.consuming.has(producer.id)) return;
    this.consuming.add(producer.id);
    const options = await this.room.request('stage:consume', {
      transportId: this.recvTransport.id,
      producerId: producer.id,
      rtpCapabilities: this.device.rtpCapabilities,
    });
    const consumer = await this.recvTransport.consume({
      id: options.id,
      producerId: options.producerId,
      kind: options.kind,
      rtpParameters: options.rtpParameters,
    });
    const remote: RemoteTrack = {
      consumerId: consumer.id,
      producerId: options.producerId,
      peerId: options.peerId,
      source: options.source,
      kind: options.kind,
      track: consumer.track,
    };
    consumer.on('transportclose', () => this.dropRemote(consumer.id));
    this.remote.set(consumer.id, remote);
    await this.room.request('stage:resumeConsumer', { consumerId: consumer.id });
    this.emit('trackAdded', remote);
  }

  private dropRemote(consumerId: string): void {
    const remote = this.remote.get(consumerId);
    if (!remote) return;
    this.remote.delete(consumerId);
    this.consuming.delete(remote.producerId);
    this.emit('trackRemoved', remote);
  }

  private async createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const device = this.device;
    if (!device) throw new StagecastClientError({ code: 'BAD_REQUEST', message: 'Call start() first' });
    const options = await this.room.request('stage:createTransport', { direction });
    const params = {
      ...options,
      ...(this.options.iceServers ? { iceServers: this.options.iceServers } : {}),
    };
    const transport =
      direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.room
        .request('stage:connectTransport', { transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = appData.source as MediaSource;
      this.room
        .request('stage:produce', {
          transportId: transport.id,
          kind,
          source,
          rtpParameters,
          paused: appData.paused === true,
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    transport.on('connectionstatechange', (state) => {
      this.emit('connectionState', direction, state);
      // ICE can recover from a network change if the server issues new credentials.
      if (state === 'failed' && !transport.closed) {
        void this.room
          .request('stage:restartIce', { transportId: transport.id })
          .then(({ iceParameters }) => transport.restartIce({ iceParameters }))
          .catch(() => undefined);
      }
    });
    return transport;
  }
}
