import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { AckResult, Poll, PollResults, PollVote, Role } from '@stagecast/protocol';
import { PollsClient, type Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';
import { RawClient } from './helpers/rawClient.js';

// Two ingest processes sharing one Redis, as behind a load balancer.
let a: TestIngest;
let b: TestIngest;
let redis: Redis;
const rooms: string[] = [];
const clients: { close(): void }[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([TestIngest.start(), TestIngest.start()]);
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const id of rooms) await a.api('DELETE', `/api/rooms/${id}`);
  await Promise.all([a?.close(), b?.close()]);
  await redis?.quit();
});

async function newRoom(name: string): Promise<string> {
  const { id } = await a.createRoom(name);
  rooms.push(id);
  return id;
}

async function join(server: TestIngest, roomId: string, role: Role, name: string): Promise<Room> {
  const room = await server.join(roomId, role, name);
  clients.push(room);
  return room;
}

async function raw(server: TestIngest, token: string, roomId: string): Promise<RawClient> {
  const client = await RawClient.connect(server.url, token, roomId);
  clients.push(client);
  return client;
}

const question = { question: 'Which topic next?', options: ['Pricing', 'Roadmap', 'Hiring'] };

describe('polls', () => {
  it('a second vote from the same person replaces the first; live results reach hosts only', async () => {
    const id = await newRoom('Replace');
    const host = new PollsClient(await join(a, id, 'host', 'Host'));
    const viewerRoom = await join(b, id, 'viewer', 'Vera');
    const viewer = new PollsClient(viewerRoom);
    const viewerResults: PollResults[] = [];
    viewer.on('results', (r) => viewerResults.push(r));

    const opened = nextEvent<[Poll | null]>((l) => viewer.on('open', l));
    const poll = await host.create(question);
    const [seen] = await opened;
    expect(seen?.question).toBe('Which topic next?');
    // Not shown to everyone: the viewer's copy carries no counts.
    expect(seen?.results).toBeNull();

    expect(await viewer.vote([0])).toEqual([0]);
    expect(await viewer.vote([2])).toEqual([2]);
    const results = await nextEvent<[PollResults]>(
      (l) => host.on('results', l),
      (r) => r.counts[2] === 1,
    );
    expect(results[0]).toEqual({ pollId: poll.id, counts: [0, 0, 1], voters: 1 });
    expect(viewer.mine).toEqual([2]);

    // The snapshot of a new connection has the open poll and one's own vote.
    const again = await join(b, id, 'host', 'Second host');
    expect(again.snapshot.polls?.open?.id).toBe(poll.id);
    expect(again.snapshot.polls?.open?.results?.counts).toEqual([0, 0, 1]);
    const token = await a.token(id, 'viewer', 'Vito');
    const vito = await raw(a, token, id);
    expect((await vito.request('poll:vote', { pollId: poll.id, choices: [1] })).ok).toBe(true);
    vito.close();
    const back = await raw(b, token, id);
    expect(back.snapshot.polls).toEqual({ open: { ...seen, results: null }, mine: [1] });
    expect(viewerResults).toEqual([]);
  });

  it('two simultaneous votes from one identity on two ingest processes count once', async () => {
    const id = await newRoom('Twice');
    const host = new PollsClient(await join(a, id, 'host', 'Host'));
    const poll = await host.create({ ...question, multiple: true });
    // The same token (the same person) connected to both processes at once.
    const token = await a.token(id, 'viewer', 'Dup');
    const [onA, onB] = await Promise.all([raw(a, token, id), raw(b, token, id)]);
    // Within the per-person vote rate (20 per 10 s).
    for (let round = 0; round < 8; round++) {
      const answers = await Promise.all([
        onA.request('poll:vote', { pollId: poll.id, choices: round % 2 ? [0] : [0, 1] }),
        onB.request('poll:vote', { pollId: poll.id, choices: [2] }),
      ]);
      for (const answer of answers) expect(answer.ok, JSON.stringify(answer)).toBe(true);
    }
    const [final] = await host.list();
    expect(final?.results?.voters).toBe(1);
    const votes = await host.votes(poll.id);
    expect(votes).toHaveLength(1);
    // Exactly the last recorded vote is counted, whichever process won the last race.
    const counts = [0, 0, 0];
    for (const c of votes[0]?.choices ?? []) counts[c] = 1;
    expect(final?.results?.counts).toEqual(counts);
  });

  it('a closed poll refuses votes and is kept in the history, with results when shared', async () => {
    const id = await newRoom('Closed');
    const host = new PollsClient(await join(a, id, 'host', 'Host'));
    const viewer = new PollsClient(await join(b, id, 'viewer', 'Late'));
    const poll = await host.create(question);
    await viewer.vote([1], poll.id);

    const closedSeen = nextEvent<[Poll]>((l) => viewer.on('closed', l));
    const closed = await host.closePoll(poll.id, { shareResults: true });
    expect(closed.state).toBe('closed');
    const [viewerCopy] = await closedSeen;
    expect(viewerCopy.results).toEqual({ pollId: poll.id, counts: [0, 1, 0], voters: 1 });
    expect(viewer.open).toBeNull();

    expect((await refusal(viewer.vote([0], poll.id))).code).toBe('POLL_CLOSED');
    expect((await refusal(host.closePoll(poll.id))).code).toBe('POLL_CLOSED');
    const listed = await viewer.list();
    expect(listed.map((p) => [p.id, p.state])).toEqual([[poll.id, 'closed']]);

    // A poll closed without sharing keeps its counts from viewers, in the history too.
    const second = await host.create({ question: 'Private?', options: ['Yes', 'No'] });
    await viewer.vote([0], second.id);
    await host.closePoll(second.id);
    const [newest, oldest] = await viewer.list();
    expect(newest?.id).toBe(second.id);
    expect(newest?.results).toBeNull();
    expect(oldest?.results?.counts).toEqual([0, 1, 0]);

    // REST: the history with results for the operator, and close refused twice the same way.
    const rest = await a.api<{ polls: Poll[] }>('GET', `/api/rooms/${id}/polls`);
    expect(rest.status).toBe(200);
    expect(rest.body.polls.map((p) => p.results?.counts)).toEqual([
      [1, 0],
      [0, 1, 0],
    ]);
    const again = await a.api<{ error: { code: string } }>(
      'POST',
      `/api/rooms/${id}/polls/${second.id}/close`,
    );
    expect([again.status, again.body.error.code]).toEqual([409, 'POLL_CLOSED']);
  });

  it('anonymous polls hide voters; others list who voted for what', async () => {
    const id = await newRoom('Anonymous');
    const host = new PollsClient(await join(a, id, 'host', 'Host'));
    const viewerRoom = await join(b, id, 'viewer', 'Secret voter');
    const viewer = new PollsClient(viewerRoom);

    const created = await a.api<{ poll: Poll }>('POST', `/api/rooms/${id}/polls`, {
      ...question,
      anonymous: true,
    });
    expect(created.status).toBe(201);
    const anon = created.body.poll;
    await waitFor(() => viewer.open?.id === anon.id, 'the REST poll to reach the viewer');
    await viewer.vote([1]);
    await viewer.vote([0]);
    await waitFor(async () => (await host.list())[0]?.results?.voters === 1, 'the count');
    expect((await host.list())[0]?.results?.counts).toEqual([1, 0, 0]);
    expect((await refusal(host.votes(anon.id))).code).toBe('FORBIDDEN');
    const rest = await a.api<{ error: { code: string } }>('GET', `/api/rooms/${id}/polls/${anon.id}/votes`);
    expect([rest.status, rest.body.error.code]).toEqual([403, 'FORBIDDEN']);
    // Nothing in Redis names the voter.
    const keys = await redis.keys(`stagecast:room:${id}:polls:${anon.id}*`);
    for (const key of keys) {
      const type = await redis.type(key);
      const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
      expect(dump).not.toContain(viewerRoom.self.peerId);
      expect(dump).not.toContain('Secret voter');
    }
    const closed = await a.api<{ poll: Poll }>('POST', `/api/rooms/${id}/polls/${anon.id}/close`, {});
    expect(closed.body.poll.state).toBe('closed');

    const open = await host.create({ ...question, showResults: true });
    await viewer.vote([2], open.id);
    const votes = await a.api<{ votes: PollVote[] }>('GET', `/api/rooms/${id}/polls/${open.id}/votes`);
    expect(votes.body.votes).toEqual([
      { peerId: viewerRoom.self.peerId, name: 'Secret voter', choices: [2] },
    ]);
    expect(await host.votes(open.id)).toEqual(votes.body.votes);
    // Only hosts and co-hosts list voters.
    expect((await refusal(viewer.votes(open.id))).code).toBe('FORBIDDEN');
  });

  it('refuses bad input with stable codes, and viewers may not open polls', async () => {
    const id = await newRoom('Validation');
    const hostToken = await a.token(id, 'host', 'Host');
    const host = await raw(a, hostToken, id);
    const viewer = await raw(b, await a.token(id, 'viewer', 'V'), id);
    const code = (r: AckResult<unknown>) => (r.ok ? 'accepted' : r.error.code);
    const nine = Array.from({ length: 9 }, (_, i) => `Option ${i}`);
    for (const payload of [
      { question: 'Too many', options: nine },
      { question: '', options: ['a', 'b'] },
      { question: '   ', options: ['a', 'b'] },
      { question: '\u200b\u0007', options: ['a', 'b'] },
      { question: 'One option', options: ['a'] },
      { question: 'Empty option', options: ['a', ''] },
      { question: 'x'.repeat(201), options: ['a', 'b'] },
      { question: 'Long option', options: ['a', 'y'.repeat(81)] },
      { question: 'Not strings', options: [1, 2] },
      { question: 'Bad flag', options: ['a', 'b'], multiple: 'yes' },
      null,
      'poll',
    ]) {
      expect(code(await host.request('poll:create', payload)), JSON.stringify(payload)).toBe('BAD_REQUEST');
    }
    expect(code(await viewer.request('poll:create', question))).toBe('FORBIDDEN');
    const rest = await a.api<{ error: { code: string } }>('POST', `/api/rooms/${id}/polls`, {
      question: 'Rest',
      options: nine,
    });
    expect([rest.status, rest.body.error.code]).toEqual([400, 'BAD_REQUEST']);

    const created = await host.request('poll:create', question);
    if (!created.ok) throw new Error(created.error.message);
    const pollId = (created.data as Poll).id;
    expect(code(await host.request('poll:create', question))).toBe('POLL_OPEN');
    for (const choices of [[3], [-1], [9], [0, 1], [], [0.5], ['0']]) {
      expect(code(await viewer.request('poll:vote', { pollId, choices })), JSON.stringify(choices)).toBe(
        'BAD_REQUEST',
      );
    }
    expect(code(await viewer.request('poll:vote', { pollId: 'nope', choices: [0] }))).toBe('NOT_FOUND');
    expect(code(await viewer.request('poll:vote', { pollId: '../x', choices: [0] }))).toBe('BAD_REQUEST');
    expect(code(await viewer.request('poll:close', { pollId }))).toBe('FORBIDDEN');
    expect(code(await viewer.request('poll:vote', { pollId, choices: [1] }))).toBe('accepted');
    // Both processes still answer.
    expect(code(await host.request('poll:list', {}))).toBe('accepted');
  });

  it('throttles result updates: many voters, a few messages a second', async () => {
    const id = await newRoom('Crowd');
    const hostRoom = await join(a, id, 'host', 'Host');
    const host = new PollsClient(hostRoom);
    const updates: { at: number; results: PollResults }[] = [];
    host.on('results', (results) => updates.push({ at: Date.now(), results }));
    const poll = await host.create({ ...question, showResults: true });
    const voters = await Promise.all(
      Array.from({ length: 40 }, async (_, i) =>
        raw(i % 2 ? a : b, await a.token(id, 'viewer', `v${i}`), id),
      ),
    );
    const viewerUpdates = voters[0]!.record('poll:results');
    const started = Date.now();
    await Promise.all(voters.map((v, i) => v.request('poll:vote', { pollId: poll.id, choices: [i % 3] })));
    await waitFor(() => updates.at(-1)?.results.voters === 40, 'the last count');
    const seconds = (Date.now() - started) / 1000;
    expect(updates.at(-1)?.results.counts).toEqual([14, 13, 13]);
    // Two processes, each at most 4 updates a second for this room.
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(seconds + 1) * 4 * 2);
    expect(updates.length).toBeLessThan(40);
    // Shown to everyone: viewers get the counts too.
    await waitFor(() => viewerUpdates.at(-1)?.voters === 40, 'the viewer count');
  });
});
