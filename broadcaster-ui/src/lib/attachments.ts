import type { Attachment } from 'svelte/attachments';
import { HlsPlayer, type HlsPlayerError } from '@stagecast/sdk';

export interface HlsCallbacks {
  onPlaying?: () => void;
  onError?: (error: HlsPlayerError) => void;
}

/**
 * Plays an HLS URL in the video element with the SDK's player (hls.js inside); the player is
 * destroyed when the element goes away or the URL changes.
 */
export function hlsSource(url: string, callbacks: HlsCallbacks = {}): Attachment<HTMLVideoElement> {
  return (video) => {
    // The preview is for the picture: the host hears the stage live, not 6 s late.
    video.muted = true;
    // A small preview: decoding the top rung would take CPU from the host's own stage.
    const player = new HlsPlayer(video, { lowLatency: true, autoplay: true, fitToElement: true });
    if (callbacks.onPlaying) player.on('playing', callbacks.onPlaying);
    if (callbacks.onError) player.on('error', callbacks.onError);
    player.load(url);
    return () => player.destroy();
  };
}
