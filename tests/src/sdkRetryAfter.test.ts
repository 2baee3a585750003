import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@stagecast/ingest';
import type { WireError } from '@stagecast/protocol';
import { connect, type Room } from '@stagecast/sdk';
import { ownRedisDatabase, TEST_SECRET, TestIngest, waitFor } from './helpers/servers.js';

/** Socket.IO's ACK packet type (socket.io-parser's PacketType.ACK). */
const ACK = 3;
const WINDOW_SECONDS = 4;

let ingest: TestIngest;
let roomId: string;

beforeAll(async () => {
  const defaults = loadConfig({ STAGECAST_API_SECRET: TEST_SECRET });
  ingest = await TestIngest.start({
    redisUrl: await ownRedisDatabase(4),
    // Two join snapshots per peer per window: the second reconnection's rejoin is refused.
    limits: { ...defaults.limits, snapshot: { points: 2, windowSeconds: WINDOW_SECONDS } },
  });
  roomId = (await ingest.createRoom('Retry after')).id;
});

afterAll(async () => {
  await ingest?.close();
});

/** Drops the connection under the SDK, as a network change does; resolves once it rejoined. */
function dropAndRejoin(room: Room): Promise<number> {
  const rejoined = new Promise<number>((resolve) => {
    const off = room.on('reconnected', () => {
      off();
      resolve(Date.now());
    });
  });
  room.socket.io.engine.close();
  return rejoined;
}

describe('SDK retries', () => {
  it('wait the retryAfterMs of a rate-limited rejoin before asking again, once', async () => {
    const token = await ingest.token(roomId, 'viewer', 'Rejoiner');
    const room = await connect({ url: ingest.url, token, reconnect: true });
    try {
      // The join used the first snapshot, this rejoin the second.
      await dropAndRejoin(room);
      const refusals: { at: number; error: WireError }[] = [];
      room.socket.io.on('packet', (packet: { type: number; data?: unknown }) => {
        // The SDK asks with a timeout: its acks come error-first, the AckResult last.
        const result = Array.isArray(packet.data) ? (packet.data as unknown[]).at(-1) : undefined;
        const error = (result as { ok?: boolean; error?: WireError } | undefined)?.error;
        if (packet.type === ACK && error) refusals.push({ at: Date.now(), error });
      });

      const rejoinedAt = await dropAndRejoin(room);
      await waitFor(() => room.connected, 'the room to be connected');
      // One refusal, and the retry came only once the server said it could succeed.
      expect(refusals.map((r) => r.error.code)).toEqual(['RATE_LIMITED']);
      const [refusal] = refusals;
      if (!refusal) throw new Error('no refusal');
      expect(refusal.error.retryAfterMs).toBeGreaterThan(0);
      expect(rejoinedAt - refusal.at).toBeGreaterThanOrEqual(refusal.error.retryAfterMs ?? 0);
    } finally {
      room.close();
    }
  }, 30_000);
});
