import type { Page } from 'playwright-core';

export interface Published {
  status: number;
  contentType: string | null;
  location: string | null;
  etag: string | null;
  /** The server's SDP answer (201), or its error body. */
  body: string;
  error?: string;
}

export interface PublishOptions {
  /** Offer only these video codecs (`setCodecPreferences`), e.g. `['video/H264']` as OBS does. */
  videoCodecs?: string[];
  /**
   * Send a 640x480 canvas painted this colour (CSS) instead of the fake camera: a picture that
   * can be found again in the composite.
   */
  colour?: string;
}

/**
 * A WHIP client (RFC 9725) in a Chromium page: offer (send-only camera and mic), POST, then the
 * answer. The peer connection stays on `window.whipPc`.
 */
export async function publish(
  page: Page,
  endpoint: string,
  token: string,
  options: PublishOptions = {},
): Promise<Published> {
  return page.evaluate(
    async ({ endpoint, token, options }) => {
      const pc = new RTCPeerConnection();
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: options.colour === undefined ? { width: 640, height: 480 } : false,
      });
      if (options.colour !== undefined) {
        const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
        const context = canvas.getContext('2d');
        let frame = 0;
        // Painted on a timer (a hidden page gets no animation frames); a small moving square
        // keeps the encoder sending.
        setInterval(() => {
          if (!context) return;
          context.fillStyle = options.colour ?? 'black';
          context.fillRect(0, 0, 640, 480);
          context.fillStyle = 'white';
          context.fillRect((frame++ * 4) % 600, 0, 40, 40);
        }, 33);
        for (const track of canvas.captureStream(30).getVideoTracks()) stream.addTrack(track);
      }
      for (const track of stream.getTracks()) {
        const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
        if (track.kind === 'video' && options.videoCodecs) {
          const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
          transceiver.setCodecPreferences(codecs.filter((c) => options.videoCodecs?.includes(c.mimeType)));
        }
      }
      await pc.setLocalDescription(await pc.createOffer());
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
        body: pc.localDescription?.sdp ?? '',
      });
      const body = await res.text();
      const out = {
        status: res.status,
        contentType: res.headers.get('content-type'),
        location: res.headers.get('location'),
        etag: res.headers.get('etag'),
        body,
      };
      if (res.status !== 201) return { ...out, error: body };
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      (window as unknown as { whipPc: RTCPeerConnection }).whipPc = pc;
      return out;
    },
    { endpoint, token, options },
  );
}

export const connectionState = (page: Page) =>
  page.evaluate(() => (window as unknown as { whipPc?: RTCPeerConnection }).whipPc?.connectionState);
