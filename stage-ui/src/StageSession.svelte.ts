import type { MediaSource, Room, StageModeration, StageMuteSource, StagePeer } from '@stagecast/sdk';
import { Stage, type RemoteTrack } from '@stagecast/sdk/stage';
import { DevicePreview } from './DevicePreview.svelte.js';
import { describeError } from './errors.js';
import { classifyMediaError, describeProblem, openTrack, type LocalSetup } from './media.js';

/** One person on stage as a tile. */
export interface TileView {
  peerId: string;
  name: string;
  role: string;
  self: boolean;
  /** Camera video plus, for others, their microphone; null shows the avatar. */
  stream: MediaStream | null;
  cameraOn: boolean;
  micOn: boolean;
  speaking: boolean;
  /** In the composite; false while backstage. */
  onAir: boolean;
  /** Sources a host hard-muted. */
  hardMuted: StageMuteSource[];
}

/** A screen share, shown large. */
export interface ScreenView {
  peerId: string;
  name: string;
  self: boolean;
  stream: MediaStream;
}

/** Shows a short message to the person (a notice or toast of the app's own). */
export type Notify = (text: string) => void;

/**
 * The WebRTC stage for this person, in either app: everyone's tiles (with who is speaking),
 * screen shares, and the local camera, microphone and screen. The local tracks outlive the
 * SDK Stage so they can be republished after a reconnect.
 */
export class StageSession {
  peers = $state.raw<StagePeer[]>([]);
  activeSpeaker = $state<string | null>(null);
  micOn = $state(false);
  cameraOn = $state(false);
  sharing = $state(false);
  /** A toggle is in flight; its button is disabled meanwhile. */
  busy = $state<{ mic: boolean; camera: boolean; screen: boolean }>({
    mic: false,
    camera: false,
    screen: false,
  });
  /** The worst state of the two WebRTC transports. */
  media = $state<'connecting' | 'connected' | 'unstable'>('connecting');
  hasMic = $state(false);

  cameraTrack = $state.raw<MediaStreamTrack | null>(null);
  screenTrack = $state.raw<MediaStreamTrack | null>(null);
  /** Remote streams, one per peer and kind of picture; rebuilt only when their tracks change. */
  streams = $state.raw<Record<string, MediaStream>>({});

  /** One's own entry as the server describes it (absent until it lists us). */
  readonly #me: StagePeer | undefined = $derived(this.peers.find((p) => p.peerId === this.room.self.peerId));
  /** In the composite; false while backstage (only those on stage see and hear us). */
  readonly onAir: boolean = $derived(this.#me?.onAir ?? false);
  /** Sources a host hard-muted: their buttons stay off until a host lifts it. */
  readonly hardMuted: StageMuteSource[] = $derived(this.#me?.hardMuted ?? []);

  readonly selfStream: MediaStream | null = $derived(
    this.cameraTrack ? new MediaStream([this.cameraTrack]) : null,
  );

  readonly tiles: TileView[] = $derived.by(() => {
    const selfId = this.room.self.peerId;
    // Oneself first and always there (also before the server lists us), so the own tile
    // never jumps around, e.g. after a reconnection puts us last in the server's order.
    const me = this.peers.find((p) => p.peerId === selfId) ?? {
      ...this.room.self,
      producers: [],
      onAir: false,
      hardMuted: [],
    };
    const peers = [me, ...this.peers.filter((p) => p.peerId !== selfId)];
    return peers.map((peer) => {
      const self = peer.peerId === selfId;
      const live = (source: MediaSource) => peer.producers.some((p) => p.source === source && !p.paused);
      const stream = self ? this.selfStream : (this.streams[`${peer.peerId}:camera`] ?? null);
      return {
        peerId: peer.peerId,
        name: peer.name,
        role: peer.role,
        self,
        stream,
        cameraOn: self ? this.cameraOn : live('camera') && stream?.getVideoTracks().length === 1,
        micOn: self ? this.micOn : live('mic'),
        speaking: this.activeSpeaker === peer.peerId,
        onAir: peer.onAir,
        hardMuted: peer.hardMuted,
      };
    });
  });

  readonly screens: ScreenView[] = $derived.by(() => {
    const list: ScreenView[] = [];
    if (this.screenTrack)
      list.push({
        peerId: this.room.self.peerId,
        name: this.room.self.name,
        self: true,
        stream: new MediaStream([this.screenTrack]),
      });
    for (const peer of this.peers) {
      const stream = this.streams[`${peer.peerId}:screen`];
      if (stream && stream.getVideoTracks().length > 0)
        list.push({ peerId: peer.peerId, name: peer.name, self: false, stream });
    }
    return list;
  });

  readonly #stage: Stage;
  readonly #off: (() => void)[] = [];
  #remote: RemoteTrack[] = [];
  #mic: MediaStreamTrack | null = null;
  #screenAudio: MediaStreamTrack | null = null;
  #cameraId: string | null = null;
  #micId: string | null = null;
  #restarting = false;
  #stopped = false;
  readonly #transport = { send: 'new', recv: 'new' };

  constructor(
    private readonly room: Room,
    private readonly notify: Notify,
  ) {
    this.#stage = new Stage(room);
    this.peers = room.stage;
    this.activeSpeaker = room.activeSpeakerPeerId;
    this.#off.push(
      room.on('stageChanged', (stage) => (this.peers = stage)),
      room.on('activeSpeaker', (peerId) => (this.activeSpeaker = peerId)),
      this.#stage.on('trackAdded', (track) => {
        this.#remote = [...this.#remote, track];
        this.#rebuildStreams();
      }),
      this.#stage.on('trackRemoved', (track) => {
        this.#remote = this.#remote.filter((t) => t.consumerId !== track.consumerId);
        this.#rebuildStreams();
      }),
      this.#stage.on('moderated', (event) => this.#moderated(event)),
      // The SDK unpublishes by itself when a track ends (camera unplugged, browser "Stop sharing").
      this.#stage.on('unpublished', (source) => {
        if (!this.#restarting && !this.#stopped) this.#lost(source);
      }),
      this.#stage.on('connectionState', (direction, state) => {
        this.#transport[direction] = state;
        const states = [this.#transport.send, this.#transport.recv];
        this.media = states.some((s) => s === 'failed' || s === 'disconnected')
          ? 'unstable'
          : this.#transport.recv === 'connected'
            ? 'connected'
            : this.media;
      }),
    );
  }

  /**
   * Connects the stage and publishes what the device check opened; without one (a guest who
   * reloads while on stage) it opens the default camera and microphone itself.
   */
  async start(setup?: LocalSetup): Promise<void> {
    setup ??= await DevicePreview.openSetup(this.room.self.name);
    if (this.#stopped) {
      setup.camera?.stop();
      setup.mic?.stop();
      return;
    }
    this.#cameraId = setup.cameraId;
    this.#micId = setup.micId;
    this.cameraTrack = setup.camera;
    this.cameraOn = setup.camera !== null;
    this.#mic = setup.mic;
    this.hasMic = setup.mic !== null;
    this.micOn = setup.micOn && setup.mic !== null;
    await this.#connect();
  }

  /** After a reconnection the server has forgotten our transports: build them again, republish. */
  async restart(): Promise<void> {
    if (this.#stopped) return;
    this.#restarting = true;
    try {
      this.#stage.stop();
      this.#remote = [];
      this.#rebuildStreams();
      await this.#connect();
    } finally {
      this.#restarting = false;
    }
  }

  async toggleMic(): Promise<void> {
    if (this.busy.mic) return;
    if (!this.micOn && this.hardMuted.includes('mic'))
      return this.notify('A host muted your microphone; only a host can let you turn it back on.');
    this.busy = { ...this.busy, mic: true };
    try {
      if (!this.#mic) {
        // No microphone at join (denied or missing): try again now that they ask for it.
        const track = await openTrack('mic', this.#micId);
        this.#mic = track;
        this.hasMic = true;
        await this.#stage.publish('mic', track);
        this.micOn = true;
      } else {
        const next = !this.micOn;
        await this.#stage.setPaused('mic', !next);
        this.micOn = next;
      }
    } catch (error) {
      this.notify(this.#deviceMessage('microphone', error));
    } finally {
      this.busy = { ...this.busy, mic: false };
    }
  }

  /** Off stops the track (the camera light goes out); on opens the camera again. */
  async toggleCamera(): Promise<void> {
    if (this.busy.camera) return;
    if (!this.cameraOn && this.hardMuted.includes('camera'))
      return this.notify('A host turned your camera off; only a host can let you turn it back on.');
    this.busy = { ...this.busy, camera: true };
    try {
      if (this.cameraOn) {
        this.cameraOn = false;
        const track = this.cameraTrack;
        this.cameraTrack = null;
        await this.#stage.unpublish('camera');
        track?.stop();
      } else {
        const track = await openTrack('camera', this.#cameraId);
        this.cameraTrack = track;
        this.cameraOn = true;
        await this.#stage.publish('camera', track);
      }
    } catch (error) {
      this.notify(this.#deviceMessage('camera', error));
    } finally {
      this.busy = { ...this.busy, camera: false };
    }
  }

  async toggleScreen(): Promise<void> {
    if (this.busy.screen) return;
    if (this.sharing) return this.stopSharing();
    this.busy = { ...this.busy, screen: true };
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 15 } },
        audio: true,
      });
      const video = stream.getVideoTracks()[0];
      if (!video) throw new Error('No screen was chosen');
      // Text on a shared screen must stay sharp; motion matters less.
      video.contentHint = 'detail';
      video.addEventListener('ended', () => void this.stopSharing());
      this.screenTrack = video;
      this.#screenAudio = stream.getAudioTracks()[0] ?? null;
      this.sharing = true;
      await this.#stage.publish('screen', video);
      if (this.#screenAudio) await this.#stage.publish('screen-audio', this.#screenAudio);
    } catch (error) {
      // Closing the browser's picker is a choice, not an error.
      if (!(error instanceof DOMException && error.name === 'NotAllowedError'))
        this.notify(`Screen sharing failed: ${describeError(error)}`);
      await this.stopSharing();
    } finally {
      this.busy = { ...this.busy, screen: false };
    }
  }

  async stopSharing(): Promise<void> {
    const video = this.screenTrack;
    const audio = this.#screenAudio;
    this.screenTrack = null;
    this.#screenAudio = null;
    this.sharing = false;
    video?.stop();
    audio?.stop();
    await Promise.all([this.#stage.unpublish('screen'), this.#stage.unpublish('screen-audio')]);
  }

  /** Leaves the stage for good: closes transports and releases every device. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const off of this.#off.splice(0)) off();
    this.#stage.stop();
    for (const track of [this.cameraTrack, this.#mic, this.screenTrack, this.#screenAudio]) track?.stop();
    this.cameraTrack = this.screenTrack = null;
    this.#mic = this.#screenAudio = null;
    this.cameraOn = this.micOn = this.sharing = false;
    this.#remote = [];
    this.streams = {};
  }

  async #connect(): Promise<void> {
    this.media = 'connecting';
    await this.#stage.start();
    // Each source on its own: a refused camera must not keep the microphone off the stage.
    const jobs: [MediaSource, MediaStreamTrack | null, boolean][] = [
      ['mic', this.#mic, !this.micOn],
      ['camera', this.cameraTrack, false],
      ['screen', this.screenTrack, false],
      ['screen-audio', this.#screenAudio, false],
    ];
    for (const [source, track, paused] of jobs) {
      if (!track || track.readyState === 'ended') continue;
      try {
        await this.#stage.publish(source, track, { paused });
      } catch (error) {
        this.notify(`Could not publish your ${source}: ${describeError(error)}`);
      }
    }
  }

  /** A host or co-host acted on us: follow what the server did, and say who did it. */
  #moderated(event: StageModeration): void {
    const who = event.by
      ? `${event.by.role === 'host' ? 'A host' : 'A co-host'} (${event.by.name})`
      : 'A host';
    const device = event.source === 'camera' ? 'camera' : 'microphone';
    switch (event.action) {
      case 'mute':
      case 'hardMute':
        if (event.source === 'mic') this.micOn = false;
        // The camera goes off for real (its light too), as with one's own button.
        else if (event.source === 'camera' && this.cameraOn) void this.toggleCamera();
        this.notify(
          event.action === 'hardMute'
            ? `${who} muted your ${device}; only a host can let you turn it back on.`
            : `${who} muted your ${device}.`,
        );
        return;
      case 'liftHardMute':
        this.notify(`${who} lets you turn your ${device} back on.`);
        return;
      case 'onAir':
        this.notify(`${who} put you on air: everyone watching sees and hears you.`);
        return;
      case 'offAir':
        this.notify(`${who} took you off air: you are backstage.`);
        return;
    }
  }

  #lost(source: MediaSource): void {
    switch (source) {
      case 'camera':
        if (!this.cameraTrack) return;
        this.cameraTrack = null;
        this.cameraOn = false;
        this.notify('Your camera stopped.');
        return;
      case 'mic':
        if (!this.#mic) return;
        this.#mic = null;
        this.hasMic = false;
        this.micOn = false;
        this.notify('Your microphone stopped.');
        return;
      case 'screen':
      case 'screen-audio':
        if (this.sharing) void this.stopSharing();
        return;
    }
  }

  /** Groups remote tracks by peer and picture; a stream object is replaced only when its tracks change. */
  #rebuildStreams(): void {
    const groups = new Map<string, MediaStreamTrack[]>();
    for (const t of this.#remote) {
      const key = `${t.peerId}:${t.source === 'screen' || t.source === 'screen-audio' ? 'screen' : 'camera'}`;
      groups.set(key, [...(groups.get(key) ?? []), t.track]);
    }
    const next: Record<string, MediaStream> = {};
    for (const [key, tracks] of groups) {
      const old = this.streams[key];
      const same =
        old && old.getTracks().length === tracks.length && tracks.every((t) => old.getTrackById(t.id));
      next[key] = same ? old : new MediaStream(tracks);
    }
    this.streams = next;
  }

  #deviceMessage(device: 'camera' | 'microphone', error: unknown): string {
    return error instanceof DOMException || error instanceof TypeError
      ? describeProblem(device, classifyMediaError(error))
      : describeError(error);
  }
}
