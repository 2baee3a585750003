import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, ReactionBurst, Reaction } from '@stagecast/protocol';
import { REACTIONS } from '@stagecast/protocol';
import { ReactionsClient } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { RawClient } from './helpers/rawClient.js';

// Two ingest processes sharing one Redis. 200 clients connect from one address here: the
// per-address connection limit is raised for them (it is not what this file tests).
let a: TestIngest;
let b: TestIngest;
const rooms: string[] = [];
const clients: { close(): void }[] = [];

beforeAll(async () => {
  const saved = process.env.STAGECAST_CONNECT_RATE_PER_S;
  process.env.STAGECAST_CONNECT_RATE_PER_S = '1000';
  try {
    [a, b] = await Promise.all([TestIngest.start(), TestIngest.start()]);
  } finally {
    if (saved === undefined) delete process.env.STAGECAST_CONNECT_RATE_PER_S;
    else process.env.STAGECAST_CONNECT_RATE_PER_S = saved;
  }
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const id of rooms) await a.api('DELETE', `/api/rooms/${id}`);
  await Promise.all([a?.close(), b?.close()]);
});

async function newRoom(name: string): Promise<string> {
  const { id } = await a.createRoom(name);
  rooms.push(id);
  return id;
}

const total = (bursts: { burst: ReactionBurst }[]) =>
  bursts.reduce((sum, { burst }) => sum + Object.values(burst.counts).reduce((s, n) => s + (n ?? 0), 0), 0);

describe('reactions', () => {
  it(
    '500 reactions a second from 200 clients arrive as at most 4 aggregates a second per process, adding up',
    { timeout: 120_000 },
    async () => {
      const id = await newRoom('Applause');
      const tokens = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          a.token(id, i === 0 ? 'host' : i < 3 ? 'cohost' : 'viewer', `p${i}`),
        ),
      );
      const crowd: RawClient[] = [];
      // Stage roles connect to the process that owns the room's media (A opened it first).
      for (let i = 0; i < tokens.length; i += 20) {
        const batch = tokens.slice(i, i + 20);
        crowd.push(
          ...(await Promise.all(
            batch.map((t, j) => RawClient.connect(i + j < 3 || (i + j) % 2 === 0 ? a.url : b.url, t, id)),
          )),
        );
      }
      clients.push(...crowd);
      const received = crowd.map(() => [] as { at: number; burst: ReactionBurst }[]);
      crowd.forEach((c, i) =>
        c.socket.on('reactions:burst', (burst) => received[i]!.push({ at: Date.now(), burst })),
      );

      // Every 100 ms a quarter of the crowd reacts once: 500 a second, 2.5 a second per person.
      let accepted = 0;
      let refused = 0;
      const sent: Promise<void>[] = [];
      const started = Date.now();
      for (let tick = 0; tick < 50; tick++) {
        const quarter = crowd.filter((_, i) => i % 4 === tick % 4);
        for (const [i, client] of quarter.entries()) {
          const emoji: Reaction = REACTIONS[(tick + i) % REACTIONS.length]!;
          sent.push(
            client.request('reaction:send', { emoji }).then((r: AckResult<unknown>) => {
              if (r.ok) accepted++;
              else refused++;
            }),
          );
        }
        await new Promise((r) => setTimeout(r, started + (tick + 1) * 100 - Date.now()));
      }
      await Promise.all(sent);
      const seconds = (Date.now() - started) / 1000;
      expect(accepted + refused).toBe(2500);
      expect(accepted).toBeGreaterThan(2400);

      // Every client gets the counts of both processes, adding up to what was accepted.
      await waitFor(() => received.every((r) => total(r) === accepted), 'every burst to arrive', 30_000);
      for (const bursts of received) {
        // At most 4 a second from each of the two processes (plus the last window's flush).
        expect(bursts.length).toBeLessThanOrEqual(Math.ceil(seconds + 1) * 4 * 2);
        for (const { burst } of bursts) {
          expect(burst.windowMs).toBeGreaterThanOrEqual(0);
          for (const key of Object.keys(burst.counts)) expect(REACTIONS).toContain(key);
        }
      }
      const messages = received.reduce((n, r) => n + r.length, 0);
      // Far from one message per reaction per client (that would be 2,500 each).
      expect(messages / crowd.length).toBeLessThan(100);
    },
  );

  it('drops reactions past the per-person rate with RATE_LIMITED, and refuses unknown emoji', async () => {
    const id = await newRoom('Spam');
    const spammer = await a.join(id, 'viewer', 'Spammer');
    clients.push(spammer);
    const reactions = new ReactionsClient(spammer);
    const burst = nextEvent<[ReactionBurst]>((l) => reactions.on('burst', l));
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        reactions.send('🎉').then(
          () => 'ok',
          (error: { code?: string }) => error.code ?? 'error',
        ),
      ),
    );
    const ok = outcomes.filter((o) => o === 'ok').length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED').length).toBe(30 - ok);
    const [first] = await burst;
    expect(first.counts['🎉']).toBeGreaterThan(0);

    const raw = await RawClient.connect(b.url, await a.token(id, 'viewer', 'Raw'), id);
    clients.push(raw);
    for (const payload of [{ emoji: '💩' }, { emoji: '' }, {}, null, { emoji: ['👏'] }]) {
      const answer = await raw.request('reaction:send', payload);
      expect(answer.ok ? 'accepted' : answer.error.code, JSON.stringify(payload)).toBe('BAD_REQUEST');
    }
  });
});
