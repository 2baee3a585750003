import { z } from 'zod';
import { MEDIA_SOURCES, type DtlsParameters, type RtpParameters } from '@stagecast/protocol';
import { request, type HandlerGroup } from '../core/requests.js';

const id = z.string().min(1).max(64);
const empty = z
  .object({})
  .strict()
  .or(z.undefined())
  .transform(() => ({}));
// mediasoup validates DTLS/RTP parameters and capabilities in depth (Room turns its
// errors into BAD_REQUEST); here only their shape is checked.
const jsonObject = z.record(z.string(), z.unknown());

/** WebRTC stage requests: transports, producers, consumers. Permissions live in Room. */
export const stageHandlers: HandlerGroup = ({ room, peer }) => ({
  requests: [
    request('stage:capabilities', empty, () => room.rtpCapabilities(peer)),

    request('stage:createTransport', z.object({ direction: z.enum(['send', 'recv']) }), ({ direction }) =>
      room.createWebRtcTransport(peer, direction),
    ),

    request(
      'stage:connectTransport',
      z.object({ transportId: id, dtlsParameters: jsonObject }),
      async (p) => {
        await room.connectTransport(peer, p.transportId, p.dtlsParameters as unknown as DtlsParameters);
        return {};
      },
    ),

    request('stage:restartIce', z.object({ transportId: id }), async ({ transportId }) => ({
      iceParameters: await room.restartIce(peer, transportId),
    })),

    request('stage:createPlainTransport', empty, () => room.createPlainTransport(peer)),

    request(
      'stage:produce',
      z.object({
        transportId: id,
        kind: z.enum(['audio', 'video']),
        source: z.enum(MEDIA_SOURCES),
        rtpParameters: jsonObject,
        paused: z.boolean().optional(),
      }),
      async (p) => {
        const producer = await room.produce(peer, {
          ...p,
          rtpParameters: p.rtpParameters as unknown as RtpParameters,
        });
        return { producerId: producer.id };
      },
    ),

    request('stage:closeProducer', z.object({ producerId: id }), ({ producerId }) => {
      room.closeProducer(peer, producerId);
      return {};
    }),

    request('stage:setProducerPaused', z.object({ producerId: id, paused: z.boolean() }), async (p) => {
      await room.setProducerPaused(peer, p.producerId, p.paused);
      return {};
    }),

    request(
      'stage:consume',
      z.object({ transportId: id, producerId: id, rtpCapabilities: jsonObject }),
      (p) => room.consume(peer, { ...p, rtpCapabilities: p.rtpCapabilities }),
    ),

    request('stage:resumeConsumer', z.object({ consumerId: id }), async ({ consumerId }) => {
      await room.resumeConsumer(peer, consumerId);
      return {};
    }),
  ],
});
