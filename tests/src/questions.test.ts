import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { type ErrorBody, type Question } from '@stagecast/protocol';
import { QuestionsClient } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';
import { RawClient } from './helpers/rawClient.js';

describe('Q&A with upvotes', () => {
  let a: TestIngest;
  let b: TestIngest;
  let redis: Redis;
  const rooms: string[] = [];
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    // Two ingest processes on the shared Redis, as behind a load balancer.
    a = await TestIngest.start();
    b = await TestIngest.start();
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const id of rooms) await a.api('DELETE', `/api/rooms/${id}`);
    await a?.close();
    await b?.close();
    await redis?.quit();
  });

  async function newRoom(name: string): Promise<string> {
    const { id } = await a.createRoom(name);
    rooms.push(id);
    return id;
  }
  async function join(server: TestIngest, roomId: string, role: 'host' | 'cohost' | 'viewer', name: string) {
    const room = await server.join(roomId, role, name);
    clients.push(room);
    return { room, qa: new QuestionsClient(room) };
  }
  async function raw(server: TestIngest, token: string, roomId: string): Promise<RawClient> {
    const client = await RawClient.connect(server.url, token, roomId);
    clients.push(client);
    return client;
  }

  it('an upvote counts once per person: twice from one person, and from two ingest processes at once', async () => {
    const id = await newRoom('Upvotes');
    const asker = await join(a, id, 'viewer', 'Asha');
    const question = await asker.qa.ask('  What is the roadmap?\u200b ');
    expect(question).toMatchObject({
      text: 'What is the roadmap?',
      votes: 0,
      answered: false,
      hidden: false,
    });
    expect(question.asker).toEqual(asker.room.self);

    // One person (one token, so one identity) connected to both processes.
    const token = await a.token(id, 'viewer', 'Vic');
    const onA = await raw(a, token, id);
    const onB = await raw(b, token, id);
    expect(onA.snapshot.self.peerId).toBe(onB.snapshot.self.peerId);
    const upvote = (c: RawClient) => c.request('qa:upvote', { questionId: question.id, on: true });
    const answers = await Promise.all([upvote(onA), upvote(onB), upvote(onA), upvote(onB)]);
    for (const answer of answers) expect(answer).toMatchObject({ ok: true, data: { upvoted: true } });
    const stored = async () =>
      (await a.api<{ questions: Question[] }>('GET', `/api/rooms/${id}/questions`)).body;
    expect((await stored()).questions[0]?.votes).toBe(1);
    // The same person again, later: still one.
    expect(await upvote(onB)).toEqual({ ok: true, data: { votes: 1, upvoted: true } });

    // A second person counts; taking a vote back counts down once, however often.
    const other = await join(b, id, 'viewer', 'Omar');
    const heard = nextEvent<[Question]>(
      (l) => asker.qa.on('question', l),
      (q) => q.votes === 2,
    );
    expect(await other.qa.upvote(question.id)).toBe(2);
    await heard;
    expect(other.qa.hasUpvoted(question.id)).toBe(true);
    const down = await Promise.all([
      onA.request('qa:upvote', { questionId: question.id, on: false }),
      onB.request('qa:upvote', { questionId: question.id, on: false }),
    ]);
    expect(down.map((d) => (d.ok ? (d.data as { votes: number }).votes : -1)).sort()).toEqual([1, 1]);
    expect((await stored()).questions[0]?.votes).toBe(1);

    // Your own question: refused (a vote is others' interest in it).
    expect((await refusal(asker.qa.upvote(question.id))).code).toBe('FORBIDDEN');
    // The join snapshot says what one upvoted.
    const again = await join(a, id, 'viewer', 'Omar again');
    expect(again.qa.questions.map((q) => q.votes)).toEqual([1]);
    const omar = await raw(b, await b.token(id, 'viewer', 'x'), id);
    expect(omar.snapshot.questions.upvoted).toEqual([]);
  });

  it('upvote order and time order; hosts mark answered; hidden questions are not sent to viewers', async () => {
    const id = await newRoom('Sorting');
    const host = await join(a, id, 'host', 'Hana');
    const cohost = await join(b, id, 'cohost', 'Cole');
    const people = await Promise.all(
      ['Ana', 'Ben', 'Cy', 'Dee'].map((name, i) => join(i % 2 ? b : a, id, 'viewer', name)),
    );
    const [ana, ben, cy, dee] = people as [(typeof people)[number], ...(typeof people)[number][]];
    const first = await ana.qa.ask('First?');
    const second = await ben!.qa.ask('Second?');
    const third = await cy!.qa.ask('Third?');
    // Third gets 2 votes, second 1, first none.
    await ana.qa.upvote(third.id);
    await ben!.qa.upvote(third.id);
    await dee!.qa.upvote(second.id);

    await waitFor(
      () => host.qa.questions.map((q) => q.votes).join() === '0,1,2',
      'every vote to reach the host',
    );
    expect(host.qa.sorted('time').map((q) => q.text)).toEqual(['First?', 'Second?', 'Third?']);
    expect(host.qa.sorted('votes').map((q) => q.text)).toEqual(['Third?', 'Second?', 'First?']);
    // The server gives both fields for any client to sort by.
    const rest = (await a.api<{ questions: Question[] }>('GET', `/api/rooms/${id}/questions`)).body.questions;
    expect(rest.map((q) => [q.id, q.votes])).toEqual([
      [first.id, 0],
      [second.id, 1],
      [third.id, 2],
    ]);
    expect(rest[0]!.ts).toBeLessThanOrEqual(rest[1]!.ts);

    const answered = await cohost.qa.answer(second.id);
    expect(answered.answered).toBe(true);
    await waitFor(
      () => dee!.qa.questions.find((q) => q.id === second.id)?.answered === true,
      'answered to reach a viewer',
    );

    // Hiding: viewers lose it (live and in later snapshots and lists), hosts keep it marked.
    const removed = nextEvent<[string]>((l) => ana.qa.on('removed', l));
    await host.qa.hide(third.id);
    expect((await removed)[0]).toBe(third.id);
    await waitFor(
      () => cohost.qa.questions.find((q) => q.id === third.id)?.hidden === true,
      'the co-host to see it hidden',
    );
    expect(ana.qa.questions.map((q) => q.id)).toEqual([first.id, second.id]);
    const late = await raw(b, await b.token(id, 'viewer', 'Late'), id);
    expect(late.snapshot.questions.questions.map((q) => q.id)).toEqual([first.id, second.id]);
    const listed = await late.request('qa:list', {});
    expect(listed.ok && (listed.data as Question[]).map((q) => q.id)).toEqual([first.id, second.id]);
    // Later changes to a hidden question reach hosts only.
    const viewerHeard = late.record('qa:question');
    await host.qa.upvote(third.id);
    await waitFor(
      () => cohost.qa.questions.find((q) => q.id === third.id)?.votes === 3,
      'the vote to reach the co-host',
    );
    expect(viewerHeard).toEqual([]);
    // Viewers cannot upvote what they cannot see.
    expect((await refusal(dee!.qa.upvote(third.id))).code).toBe('NOT_FOUND');
    // Shown again: back for everyone.
    await host.qa.hide(third.id, false);
    await waitFor(() => ana.qa.questions.some((q) => q.id === third.id), 'the question back for viewers');
  });

  it('a viewer cannot highlight, hide, answer or ban (FORBIDDEN); bad input gets a clear code; upvote limits', async () => {
    const id = await newRoom('Refusals');
    const host = await join(a, id, 'host', 'Hana');
    const viewer = await raw(a, await a.token(id, 'viewer', 'Vi'), id);
    const asked = await viewer.request('qa:ask', { clientId: 'c1', text: 'Is this on?' });
    if (!asked.ok) throw new Error(asked.error.code);
    const questionId = (asked.data as Question).id;
    // A retried ask (same clientId) is stored once.
    const retried = await viewer.request('qa:ask', { clientId: 'c1', text: 'Is this on?' });
    expect(retried.ok && (retried.data as Question).id).toBe(questionId);

    for (const [event, payload] of [
      ['qa:highlight', { questionId }],
      ['qa:highlight', { questionId: null }],
      ['qa:hide', { questionId, hidden: true }],
      ['qa:answer', { questionId, answered: true }],
      ['qa:banAsker', { questionId }],
    ] as const) {
      const res = await viewer.request(event, payload);
      expect(res.ok ? 'accepted' : res.error.code, event).toBe('FORBIDDEN');
    }
    const noSecret = await a.api<ErrorBody>('GET', `/api/rooms/${id}/questions`, undefined, 'wrong-secret');
    expect(noSecret.status).toBe(401);

    for (const payload of [
      { clientId: 'c2', text: '' },
      { clientId: 'c3', text: ' \u200b\n ' },
      { clientId: 'c4', text: 'x'.repeat(301) },
      { clientId: 'bad id', text: 'ok?' },
      { text: 'no id?' },
      { clientId: 'c5', text: 42 },
      null,
    ]) {
      const res = await viewer.request('qa:ask', payload);
      expect(res.ok ? 'accepted' : res.error.code, JSON.stringify(payload)).toBe('BAD_REQUEST');
    }
    const longest = await viewer.request('qa:ask', { clientId: 'c6', text: 'é'.repeat(300) });
    expect(longest.ok).toBe(true);
    for (const payload of [
      { questionId: 'nope', on: true },
      { questionId, on: 'yes' },
      { questionId: 'q1:voters', on: true },
      {},
    ]) {
      const res = await viewer.request('qa:upvote', payload);
      expect(res.ok ? 'accepted' : res.error.code, JSON.stringify(payload)).toBe('BAD_REQUEST');
    }
    const missing = await viewer.request('qa:upvote', { questionId: 'q999999', on: true });
    expect(missing.ok ? 'accepted' : missing.error.code).toBe('NOT_FOUND');
    expect((await refusal(host.qa.highlight('q999999'))).code).toBe('NOT_FOUND');
    const restBad = await a.api<ErrorBody>('PUT', `/api/rooms/${id}/questions/on-air`, { questionId: 7 });
    expect(restBad.status).toBe(400);
    expect(restBad.body.error.code).toBe('BAD_REQUEST');
    const restAnswer = await a.api<Question>('POST', `/api/rooms/${id}/questions/${questionId}`, {
      answered: true,
    });
    expect(restAnswer.status).toBe(200);
    expect(restAnswer.body.answered).toBe(true);
    const restOnAir = await a.api<{ highlightedId: string }>('PUT', `/api/rooms/${id}/questions/on-air`, {
      questionId,
    });
    expect(restOnAir).toEqual({ status: 200, body: { highlightedId: questionId } });
    await waitFor(() => host.qa.highlighted?.id === questionId, 'the host to see it on air');

    // Asking is rate-limited per person (5 a minute): the fifth passes... the sixth does not.
    let limited: string | null = null;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await viewer.request('qa:ask', { clientId: `burst-${i}`, text: `Burst ${i}?` });
      if (!res.ok) limited = res.error.code;
    }
    expect(limited).toBe('RATE_LIMITED');
  });

  it('upvoted or not, hosts highlight one question at a time and ban the asker with the room ban', async () => {
    const id = await newRoom('Highlight');
    const host = await join(a, id, 'host', 'Hana');
    const viewer = await join(b, id, 'viewer', 'Vi');
    const troll = await join(b, id, 'viewer', 'Troll');
    const good = await viewer.qa.ask('A good question?');
    const bad = await troll.qa.ask('A bad question');

    const heard = nextEvent<[Question | null]>((l) => viewer.qa.on('highlighted', l));
    await host.qa.highlight(good.id);
    expect((await heard)[0]?.id).toBe(good.id);
    expect(viewer.qa.highlighted?.id).toBe(good.id);
    await host.qa.highlight(bad.id);
    await waitFor(() => viewer.qa.highlighted?.id === bad.id, 'the new highlight');
    // At most one.
    const rest = (
      await a.api<{ questions: Question[]; highlightedId: string }>('GET', `/api/rooms/${id}/questions`)
    ).body;
    expect(rest.highlightedId).toBe(bad.id);
    expect(rest.questions.filter((q) => q.highlighted).map((q) => q.id)).toEqual([bad.id]);

    // Banning the asker: the room's ban (listed, disconnects), and their questions go (and off air).
    const closed = nextEvent<[string]>((l) => troll.room.on('closed', l));
    await host.qa.banAsker(bad.id, 'trolling');
    await closed;
    const bans = await a.api<{ bans: { peerId: string }[] }>('GET', `/api/rooms/${id}/bans`);
    expect(bans.body.bans.map((ban) => ban.peerId)).toEqual([troll.room.self.peerId]);
    await waitFor(
      () => viewer.qa.highlighted === null && viewer.qa.questions.length === 1,
      'the banned question to go',
    );
    await host.qa.highlight(good.id);
    await host.qa.highlight(null);
    await waitFor(() => viewer.qa.highlighted === null, 'un-highlighted');

    // Deleting the room deletes its questions.
    expect((await a.api('DELETE', `/api/rooms/${id}`)).status).toBe(204);
    expect(await redis.keys(`stagecast:room:${id}:qa*`)).toEqual([]);
  });
});
