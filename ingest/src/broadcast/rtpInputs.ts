import type { types } from 'mediasoup';
import type { RtpInput } from '@stagecast/protocol';

/**
 * Capabilities the compositor's FFmpeg can take: the router's codecs without RTX and with
 * no feedback FFmpeg would ignore anyway (it sends no NACKs, so retransmissions are useless).
 */
export function compositorCapabilities(router: types.Router): types.RtpCapabilities {
  const caps = router.rtpCapabilities;
  return {
    codecs: (caps.codecs ?? [])
      .filter((c) => c.mimeType.toLowerCase() !== 'video/rtx')
      .map((c) => ({
        ...c,
        rtcpFeedback: (c.rtcpFeedback ?? []).filter((fb) => fb.type === 'nack' && fb.parameter === 'pli'),
      })),
    headerExtensions: [],
  };
}

/** What FFmpeg needs to receive one consumer's RTP (payload type, codec, SSRC, ports). */
export function rtpInputOf(consumer: types.Consumer, ports: { rtpPort: number; rtcpPort: number }): RtpInput {
  const codec = consumer.rtpParameters.codecs[0];
  const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
  if (!codec || ssrc === undefined) throw new Error(`consumer ${consumer.id} has no codec or SSRC`);
  const params = Object.entries(codec.parameters ?? {});
  const input: RtpInput = {
    producerId: consumer.producerId,
    kind: consumer.kind,
    codec: codec.mimeType.split('/')[1] ?? codec.mimeType,
    payloadType: codec.payloadType,
    clockRate: codec.clockRate,
    ssrc,
    rtpPort: ports.rtpPort,
    rtcpPort: ports.rtcpPort,
  };
  if (codec.channels !== undefined) input.channels = codec.channels;
  if (params.length > 0) input.fmtp = params.map(([k, v]) => `${k}=${String(v)}`).join(';');
  return input;
}
