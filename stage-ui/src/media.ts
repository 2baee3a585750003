/** Why a camera or microphone is not available, in words a person can act on. */
export type DeviceProblem = 'denied' | 'missing' | 'busy' | 'unsupported' | 'failed';

export function classifyMediaError(error: unknown): DeviceProblem {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    case 'TypeError':
      return 'unsupported';
    default:
      return 'failed';
  }
}

export function describeProblem(device: 'camera' | 'microphone', problem: DeviceProblem): string {
  const Device = device === 'camera' ? 'Camera' : 'Microphone';
  switch (problem) {
    case 'denied':
      return `${Device} blocked. Allow it in your browser's site settings (the icon in the address bar), or join without it.`;
    case 'missing':
      return `No ${device} found. You can join without one.`;
    case 'busy':
      return `Your ${device} is in use by another app. Close it and try again.`;
    case 'unsupported':
      return `This browser cannot use a ${device} here (it needs HTTPS).`;
    case 'failed':
      return `The ${device} could not be started.`;
  }
}

/** Camera constraints: 720p is what the compositor's top rendition uses. */
export function cameraConstraints(deviceId: string | null): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30 },
  };
}

/**
 * The one microphone default for hosts and guests alike: people talk on a stage while others
 * come out of their speakers, so echo cancellation, noise suppression and gain control stay on.
 */
export function micConstraints(deviceId: string | null): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  };
}

/** Opens one device; the caller owns (and must stop) the returned track. */
export async function openTrack(kind: 'camera' | 'mic', deviceId: string | null): Promise<MediaStreamTrack> {
  if (!navigator.mediaDevices?.getUserMedia) throw new TypeError('getUserMedia is unavailable');
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'camera' ? { video: cameraConstraints(deviceId) } : { audio: micConstraints(deviceId) },
  );
  const track = kind === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  if (!track) throw new DOMException('No track', 'NotFoundError');
  return track;
}

/** What the pre-join screen hands to the stage: open tracks, chosen devices and toggles. */
export interface LocalSetup {
  name: string;
  camera: MediaStreamTrack | null;
  mic: MediaStreamTrack | null;
  cameraId: string | null;
  micId: string | null;
  cameraOn: boolean;
  micOn: boolean;
}
