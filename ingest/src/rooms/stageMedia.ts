import type { types } from 'mediasoup';
import type { WorkerPool } from '../media/WorkerPool.js';
import { MEDIA_CODECS } from '../media/mediaCodecs.js';
import type { ProducerAppData } from './Peer.js';

/** The mediasoup side of a room's stage: its router and the active speaker observer on it. */
export interface StageMedia {
  router: types.Router;
  speakerObserver: types.ActiveSpeakerObserver;
}

/** A router for a room's stage; `onSpeaker` hears who speaks loudest (a peer id). */
export async function createStageMedia(
  pool: WorkerPool,
  onSpeaker: (peerId: string | null) => void,
): Promise<StageMedia> {
  const router = await pool.createRouter(MEDIA_CODECS);
  const speakerObserver = await router.createActiveSpeakerObserver({ interval: 400 });
  speakerObserver.on('dominantspeaker', ({ producer }) => {
    const appData = producer.appData as Partial<ProducerAppData>;
    onSpeaker(appData.peerId ?? null);
  });
  return { router, speakerObserver };
}
