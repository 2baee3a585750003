import { Stage, type RemoteTrack, type Room, type StagePeer } from '@stagecast/sdk';
import { describeError } from './errors.js';
import { openDevices, type LocalTracks } from './DeviceCheck.svelte.js';

/** One person on stage as the guest sees them. */
export interface Tile {
  peerId: string;
  name: string;
  role: string;
  self: boolean;
  stream: MediaStream | null;
  cameraOn: boolean;
  micOn: boolean;
}

/**
 * The viewer on the WebRTC stage as a guest: publishes camera and microphone and
 * receives everyone else live (no HLS delay).
 */
export class StageSession {
  micOn = $state(true);
  cameraOn = $state(true);
  error = $state<string | null>(null);
  /** Everyone on stage, from the room's `stageChanged`. */
  peers = $state.raw<StagePeer[]>([]);
  /** One stream per remote peer; replaced (not mutated) when its tracks change. */
  streams = $state.raw<Record<string, MediaStream>>({});
  localStream = $state.raw<MediaStream | null>(null);

  readonly tiles: Tile[] = $derived.by(() =>
    this.peers.map((peer) => {
      const self = peer.peerId === this.room.self.peerId;
      const producer = (source: string) => peer.producers.find((p) => p.source === source);
      const camera = producer('camera');
      const mic = producer('mic');
      return {
        peerId: peer.peerId,
        name: peer.name,
        role: peer.role,
        self,
        stream: self ? this.localStream : (this.streams[peer.peerId] ?? null),
        cameraOn: self ? this.cameraOn : camera !== undefined && !camera.paused,
        micOn: self ? this.micOn : mic !== undefined && !mic.paused,
      };
    }),
  );

  readonly #stage: Stage;
  #tracks: LocalTracks = { camera: null, mic: null };
  readonly #off: (() => void)[] = [];
  #closed = false;

  constructor(private readonly room: Room) {
    this.#stage = new Stage(room);
    this.peers = room.stage;
    this.#off.push(
      room.on('stageChanged', (stage) => (this.peers = stage)),
      this.#stage.on('trackAdded', () => this.rebuildStreams()),
      this.#stage.on('trackRemoved', () => this.rebuildStreams()),
    );
  }

  /** Connects and publishes; `tracks` come from the backstage check, or default devices. */
  async start(tracks?: LocalTracks): Promise<void> {
    try {
      this.#tracks = tracks ?? (await openDevices());
      if (this.#closed) return this.stopTracks();
      this.localStream = new MediaStream([this.#tracks.camera, this.#tracks.mic].filter((t) => t !== null));
      await this.#stage.start();
      if (this.#tracks.camera) await this.#stage.publish('camera', this.#tracks.camera);
      if (this.#tracks.mic) await this.#stage.publish('mic', this.#tracks.mic);
      this.cameraOn = this.#tracks.camera !== null;
      this.micOn = this.#tracks.mic !== null;
    } catch (error) {
      if (!this.#closed) this.error = describeError(error);
    }
  }

  async toggleMic(): Promise<void> {
    await this.setPaused('mic', this.micOn);
  }

  async toggleCamera(): Promise<void> {
    await this.setPaused('camera', this.cameraOn);
  }

  /** Reconnects the media after the signalling connection came back. */
  async restart(): Promise<void> {
    this.#stage.stop();
    try {
      await this.#stage.start();
      if (this.#tracks.camera) await this.#stage.publish('camera', this.#tracks.camera, { paused: !this.cameraOn });
      if (this.#tracks.mic) await this.#stage.publish('mic', this.#tracks.mic, { paused: !this.micOn });
    } catch (error) {
      this.error = describeError(error);
    }
  }

  /** Stops publishing and receiving and releases camera and microphone; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    this.#stage.stop();
    this.stopTracks();
    this.streams = {};
    this.localStream = null;
  }

  private async setPaused(source: 'mic' | 'camera', paused: boolean): Promise<void> {
    const track = this.#tracks[source];
    if (!track) return;
    // Disabling the track too makes "off" true locally even before the server answers.
    track.enabled = !paused;
    if (source === 'mic') this.micOn = !paused;
    else this.cameraOn = !paused;
    try {
      await this.#stage.setPaused(source, paused);
    } catch (error) {
      this.error = describeError(error);
    }
  }

  private rebuildStreams(): void {
    const byPeer = new Map<string, RemoteTrack[]>();
    for (const remote of this.#stage.remoteTracks) {
      byPeer.set(remote.peerId, [...(byPeer.get(remote.peerId) ?? []), remote]);
    }
    const next: Record<string, MediaStream> = {};
    for (const [peerId, remotes] of byPeer) {
      const previous = this.streams[peerId];
      const ids = remotes.map((r) => r.track.id).sort().join();
      const same = previous && previous.getTracks().map((t) => t.id).sort().join() === ids;
      // Keep an unchanged stream object so its <video> is not reset.
      next[peerId] = same ? previous : new MediaStream(remotes.map((r) => r.track));
    }
    this.streams = next;
  }

  private stopTracks(): void {
    this.#tracks.camera?.stop();
    this.#tracks.mic?.stop();
    this.#tracks = { camera: null, mic: null };
  }
}
