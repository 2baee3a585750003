import {
  classifyMediaError,
  cameraConstraints,
  micConstraints,
  openTrack,
  type DeviceProblem,
  type LocalSetup,
} from './media.js';

/**
 * The device check before going on stage (the studio's pre-join screen, the viewer's
 * backstage): device lists, a live camera preview and a microphone level, and the start-muted
 * toggles. Its tracks are handed over to the stage on join, so the camera does not blink off
 * and on between the two screens.
 */
export class DevicePreview {
  /** Opens the default devices without showing a check, and hands them over at once. */
  static async openSetup(name: string): Promise<LocalSetup> {
    const preview = new DevicePreview();
    await preview.open();
    return preview.takeSetup(name);
  }

  cameras = $state.raw<MediaDeviceInfo[]>([]);
  mics = $state.raw<MediaDeviceInfo[]>([]);
  cameraId = $state<string | null>(null);
  micId = $state<string | null>(null);
  camera = $state.raw<MediaStreamTrack | null>(null);
  mic = $state.raw<MediaStreamTrack | null>(null);
  cameraProblem = $state<DeviceProblem | null>(null);
  micProblem = $state<DeviceProblem | null>(null);
  cameraOn = $state(true);
  micOn = $state(true);
  /** Microphone level 0–1, smoothed. */
  level = $state(0);
  /** True until the first attempt to open the devices has finished. */
  opening = $state(true);

  readonly preview: MediaStream | null = $derived(this.camera ? new MediaStream([this.camera]) : null);

  #audio: AudioContext | null = null;
  #frame = 0;
  #closed = false;
  readonly #onDeviceChange = () => void this.refreshDevices();

  /** Asks for both devices at once (one permission prompt), then each alone if that fails. */
  async open(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.cameraProblem = this.micProblem = 'unsupported';
      this.opening = false;
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: cameraConstraints(null),
        audio: micConstraints(null),
      });
      this.#adopt('camera', stream.getVideoTracks()[0] ?? null);
      this.#adopt('mic', stream.getAudioTracks()[0] ?? null);
    } catch {
      // Tell camera and microphone problems apart so the person can still join with the other.
      await Promise.all([this.selectCamera(null), this.selectMic(null)]);
    }
    navigator.mediaDevices.addEventListener('devicechange', this.#onDeviceChange);
    await this.refreshDevices();
    this.opening = false;
  }

  /** Device labels are only filled in once permission is granted, so list after opening. */
  async refreshDevices(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    this.cameras = devices.filter((d) => d.kind === 'videoinput' && d.deviceId);
    this.mics = devices.filter((d) => d.kind === 'audioinput' && d.deviceId);
  }

  async selectCamera(deviceId: string | null): Promise<void> {
    this.camera?.stop();
    this.camera = null;
    if (!this.cameraOn && deviceId !== null) {
      this.cameraId = deviceId;
      return;
    }
    try {
      this.#adopt('camera', await openTrack('camera', deviceId));
    } catch (error) {
      this.cameraProblem = classifyMediaError(error);
    }
  }

  async selectMic(deviceId: string | null): Promise<void> {
    this.mic?.stop();
    this.mic = null;
    try {
      this.#adopt('mic', await openTrack('mic', deviceId));
    } catch (error) {
      this.micProblem = classifyMediaError(error);
      this.#stopMeter();
    }
  }

  /** Off means off: the camera light goes out too. */
  async toggleCamera(): Promise<void> {
    this.cameraOn = !this.cameraOn;
    if (this.cameraOn) await this.selectCamera(this.cameraId);
    else {
      this.camera?.stop();
      this.camera = null;
    }
  }

  toggleMic(): void {
    this.micOn = !this.micOn;
  }

  /** Browsers start an AudioContext suspended until a click; call from any user gesture. */
  resumeAudio(): void {
    if (this.#audio?.state === 'suspended') void this.#audio.resume();
  }

  /** Hands the open tracks over; after this, closing the preview leaves them running. */
  takeSetup(name: string): LocalSetup {
    const setup: LocalSetup = {
      name,
      camera: this.cameraOn ? this.camera : null,
      mic: this.mic,
      cameraId: this.cameraId,
      micId: this.micId,
      cameraOn: this.cameraOn && this.camera !== null,
      micOn: this.micOn && this.mic !== null,
    };
    this.camera = null;
    this.mic = null;
    this.close();
    return setup;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopMeter();
    navigator.mediaDevices?.removeEventListener('devicechange', this.#onDeviceChange);
    this.camera?.stop();
    this.mic?.stop();
    this.camera = this.mic = null;
  }

  #adopt(kind: 'camera' | 'mic', track: MediaStreamTrack | null): void {
    if (this.#closed) {
      track?.stop();
      return;
    }
    const id = track?.getSettings().deviceId ?? null;
    if (kind === 'camera') {
      this.camera = track;
      this.cameraProblem = track ? null : 'missing';
      if (id) this.cameraId = id;
    } else {
      this.mic = track;
      this.micProblem = track ? null : 'missing';
      if (id) this.micId = id;
      if (track) this.#startMeter(track);
    }
  }

  #startMeter(track: MediaStreamTrack): void {
    this.#stopMeter();
    try {
      const audio = new AudioContext();
      const analyser = audio.createAnalyser();
      analyser.fftSize = 1024;
      audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.#audio = audio;
      const tick = () => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        // Speech RMS sits around 0.02–0.2; scale so normal talking fills most of the bar.
        const target = Math.min(1, Math.sqrt(sum / samples.length) * 5);
        const next = target > this.level ? target : this.level * 0.85 + target * 0.15;
        // Skip tiny changes: the bar cannot show them and each write re-renders it.
        if (Math.abs(next - this.level) > 0.01) this.level = next;
        this.#frame = requestAnimationFrame(tick);
      };
      tick();
    } catch {
      // No Web Audio: the preview still works, just without a level bar.
      this.level = 0;
    }
  }

  #stopMeter(): void {
    cancelAnimationFrame(this.#frame);
    void this.#audio?.close().catch(() => undefined);
    this.#audio = null;
    this.level = 0;
  }
}
