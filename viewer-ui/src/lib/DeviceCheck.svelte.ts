import { describeError } from './errors.js';

/** Camera and microphone tracks picked backstage, handed over to the stage. */
export interface LocalTracks {
  camera: MediaStreamTrack | null;
  mic: MediaStreamTrack | null;
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** Opens camera and microphone, with the given devices if any. */
export async function openDevices(cameraId = '', micId = ''): Promise<LocalTracks> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: cameraId ? { ...VIDEO, deviceId: { exact: cameraId } } : VIDEO,
    audio: micId ? { ...AUDIO, deviceId: { exact: micId } } : AUDIO,
  });
  return { camera: stream.getVideoTracks()[0] ?? null, mic: stream.getAudioTracks()[0] ?? null };
}

/**
 * The backstage check before stepping on stage: a preview of the camera, a level meter
 * for the microphone, and device pickers.
 */
export class DeviceCheck {
  cameras = $state.raw<MediaDeviceInfo[]>([]);
  mics = $state.raw<MediaDeviceInfo[]>([]);
  cameraId = $state('');
  micId = $state('');
  /** The preview; a new stream object whenever a device changes. */
  stream = $state.raw<MediaStream | null>(null);
  /** Microphone loudness, 0..1. */
  level = $state(0);
  error = $state<string | null>(null);
  busy = $state(true);

  #tracks: LocalTracks = { camera: null, mic: null };
  #audio: AudioContext | null = null;
  #frame = 0;
  #handedOver = false;

  async start(): Promise<void> {
    this.busy = true;
    try {
      this.setTracks(await openDevices());
      // Labels and ids are only complete once permission was granted.
      const devices = await navigator.mediaDevices.enumerateDevices();
      this.cameras = devices.filter((d) => d.kind === 'videoinput');
      this.mics = devices.filter((d) => d.kind === 'audioinput');
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  async selectCamera(deviceId: string): Promise<void> {
    this.cameraId = deviceId;
    await this.reopen('camera');
  }

  async selectMic(deviceId: string): Promise<void> {
    this.micId = deviceId;
    await this.reopen('mic');
  }

  /** Gives the tracks to the stage; they are no longer stopped by `close()`. */
  takeTracks(): LocalTracks {
    this.#handedOver = true;
    return this.#tracks;
  }

  close(): void {
    cancelAnimationFrame(this.#frame);
    void this.#audio?.close();
    this.#audio = null;
    if (!this.#handedOver) {
      this.#tracks.camera?.stop();
      this.#tracks.mic?.stop();
    }
    this.stream = null;
  }

  private async reopen(kind: 'camera' | 'mic'): Promise<void> {
    this.busy = true;
    try {
      const constraints =
        kind === 'camera'
          ? { video: { ...VIDEO, deviceId: { exact: this.cameraId } } }
          : { audio: { ...AUDIO, deviceId: { exact: this.micId } } };
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      const track = (kind === 'camera' ? stream.getVideoTracks() : stream.getAudioTracks())[0] ?? null;
      this.#tracks[kind]?.stop();
      this.setTracks({ ...this.#tracks, [kind]: track });
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private setTracks(tracks: LocalTracks): void {
    this.#tracks = tracks;
    this.cameraId = tracks.camera?.getSettings().deviceId ?? this.cameraId;
    this.micId = tracks.mic?.getSettings().deviceId ?? this.micId;
    this.stream = new MediaStream([tracks.camera, tracks.mic].filter((t) => t !== null));
    this.meter(tracks.mic);
  }

  /** Measures loudness with an AnalyserNode, once per animation frame. */
  private meter(track: MediaStreamTrack | null): void {
    cancelAnimationFrame(this.#frame);
    void this.#audio?.close();
    this.#audio = null;
    this.level = 0;
    if (!track) return;
    const audio = new AudioContext();
    this.#audio = audio;
    const analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      // RMS on a rough log scale, so speech moves the bar visibly.
      const rms = Math.sqrt(sum / samples.length);
      this.level = Math.min(1, Math.max(0, 1 + Math.log10(rms + 1e-6) / 3));
      this.#frame = requestAnimationFrame(tick);
    };
    void audio.resume();
    tick();
  }
}
