import type { Room } from '@stagecast/sdk';

/** A minimal VP8 producer on a plain transport, as a bot would make; resolves with its id. */
export async function produceDummy(room: Room): Promise<string> {
  const transport = await room.request('stage:createPlainTransport', {});
  const { producerId } = await room.request('stage:produce', {
    transportId: transport.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc: 22222222 }],
    },
  });
  return producerId;
}
