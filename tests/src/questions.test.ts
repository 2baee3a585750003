import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  COMPOSITE_QUEUE,
  type BroadcastProgress,
  type ErrorBody,
  type LiveState,
  type Question,
  type RoomInfo,
} from '@stagecast/protocol';
import { QuestionsClient, type Room } from '@stagecast/sdk';
import { freePort, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';
import { RawClient } from './helpers/rawClient.js';
import { RedisServer } from './helpers/RedisServer.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { fetchPlaylist, segmentFile } from './helpers/hls.js';
import { launchChromium } from './helpers/chromium.js';
import type { Browser } from 'playwright-core';
import type { CreateRoomResponse } from '@stagecast/protocol';

const run = promisify(execFile);

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

describe('the highlighted question on air (upvote Q&A lower-third)', () => {
  let redisServer: RedisServer;
  let redisDir = '';
  let ingest: TestIngest;
  let transcoder: TranscoderProcess;
  let queue: Queue;
  let bot: Bot | undefined;
  let roomId = '';
  const clients: Room[] = [];

  beforeAll(async () => {
    // A Redis of its own: the transcoder takes every job of its queue, so it must see only this test's.
    redisDir = await mkdtemp(join(tmpdir(), 'stagecast-redis-'));
    redisServer = new RedisServer(await freePort(), redisDir);
    await redisServer.start();
    process.env.STAGECAST_SEGMENT_SECONDS = '2';
    ingest = await TestIngest.start({ redisUrl: redisServer.url });
    transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl: redisServer.url });
    queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisServer.url } });
    roomId = (await ingest.createRoom('Town hall')).id;
    bot = await Bot.start({
      url: ingest.url,
      token: await ingest.token(roomId, 'cohost', 'Alice'),
      name: 'Alice',
      webm: await botClip('Alice'),
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await bot?.stop();
    await ingest?.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' }).catch(() => undefined);
    await transcoder?.stop();
    await queue?.close();
    await ingest?.close();
    await redisServer?.shutdown().catch(() => redisServer.kill());
    await rm(redisDir, { recursive: true, force: true });
  }, 60_000);

  const live = async (): Promise<LiveState> =>
    (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body.live;
  const hls = (path: string) => `${ingest.url}/hls/${roomId}/${path}`;

  /**
   * Mean RGB of a rectangle of the first frame of the newest 360p segment, once at least two
   * more than `after` are listed: that segment started after the call.
   */
  async function sample(after: number, rect: { x: number; y: number; w: number; h: number }) {
    const master = await waitFor(() => fetchPlaylist(hls('master.m3u8')), 'the master playlist');
    const variant = (master.manifest.playlists ?? []).find((p) => p.attributes.RESOLUTION?.height === 360);
    if (!variant) throw new Error('no 360p rung');
    const url = new URL(variant.uri, hls('master.m3u8')).toString();
    const playlist = await waitFor(
      async () => {
        const p = await fetchPlaylist(url);
        const total = p ? (p.manifest.mediaSequence ?? 0) + p.manifest.segments.length : 0;
        return p && total >= after + 2 ? p : null;
      },
      'two more 360p segments',
      60_000,
    );
    const segment = playlist.manifest.segments.at(-1);
    if (!segment) throw new Error('no segment');
    const file = await segmentFile(segment, url);
    try {
      const { stdout } = await run(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          file,
          '-frames:v',
          '1',
          '-vf',
          `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y}`,
        ].concat(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
        { encoding: 'buffer', timeout: 30_000 },
      );
      const mean = [0, 0, 0];
      for (let i = 0; i < stdout.length; i++) mean[i % 3]! += stdout[i]!;
      const n = stdout.length / 3;
      return {
        total: (playlist.manifest.mediaSequence ?? 0) + playlist.manifest.segments.length,
        rgb: mean.map((v) => Math.round(v / n)),
      };
    } finally {
      await rm(dirname(file), { recursive: true, force: true });
    }
  }

  async function segmentsSoFar(): Promise<number> {
    return (await sample(0, { x: 0, y: 0, w: 2, h: 2 })).total;
  }

  it('a highlighted (upvote Q&A) question reaches the composite as a lower-third, set by commands on the running FFmpeg', async () => {
    const host = await ingest.join(roomId, 'host', 'Hana');
    const viewer = await ingest.join(roomId, 'viewer', 'Vik');
    clients.push(host, viewer);
    const hostQa = new QuestionsClient(host);
    const viewerQa = new QuestionsClient(viewer);
    const started = await ingest.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'start' });
    expect(started.status).toBe(200);
    await waitFor(async () => (await live()).state === 'live' && (await live()).layout, 'live', 90_000);
    expect((await live()).layout?.lowerThird ?? null).toBeNull();

    const question = await viewerQa.ask('Will the recording be shared with everyone afterwards?');
    const told = nextEvent<[Question | null]>((l) => viewerQa.on('highlighted', l));
    await hostQa.highlight(question.id);
    expect((await told)[0]?.text).toBe(question.text);
    // The picture on air reports it once the compositor took the commands.
    await waitFor(
      async () => (await live()).layout?.lowerThird === question.text,
      'the lower-third on air',
      60_000,
    );
    // Commands, not a new FFmpeg: still the first run.
    const job = await queue.getJob(`${roomId}.${(await live()).broadcastId ?? ''}`);
    expect((job?.progress as BroadcastProgress).session).toBe(1);

    // The 360p rung (half of 1280x720): the accent bar on the lower-third's left edge is blue,
    // where the background is otherwise dark.
    const accent = { x: 16, y: 310, w: 4, h: 24 };
    const shown = await sample(await segmentsSoFar(), accent);
    const [r, g, bl] = shown.rgb as [number, number, number];
    expect(bl, `rgb ${shown.rgb.join(',')}`).toBeGreaterThan(150);
    expect(bl - r, `rgb ${shown.rgb.join(',')}`).toBeGreaterThan(100);
    expect(g).toBeLessThan(bl);

    // Off air again: hidden, reported and gone from the picture.
    await hostQa.highlight(null);
    await waitFor(
      async () => ((await live()).layout?.lowerThird ?? null) === null,
      'the lower-third off',
      60_000,
    );
    const gone = await sample(await segmentsSoFar(), accent);
    expect(gone.rgb[2], `rgb ${gone.rgb.join(',')}`).toBeLessThan(80);
  }, 240_000);
});

describe('Q&A in the apps (upvote from the viewer page, highlight from the host app)', () => {
  let ingest: TestIngest;
  let browser: Browser;
  const rooms: Room[] = [];
  beforeAll(async () => {
    ingest = await TestIngest.start();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    for (const r of rooms) r.close();
    await browser?.close();
    await ingest?.close();
  });

  it('a viewer asks and upvotes with the keyboard; the host sorts, marks answered and puts it on air', async () => {
    const room = (await ingest.api<CreateRoomResponse>('POST', '/api/rooms', { name: 'Town hall' })).body;
    const asha = await ingest.join(room.id, 'viewer', 'Asha');
    rooms.push(asha);
    const ashaQa = new QuestionsClient(asha);
    const early = await ashaQa.ask('What is next on the roadmap?');

    const viewer = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
    await viewer.goto(room.links.viewer);
    await viewer.getByLabel('Your name').fill('Vik');
    await viewer.getByRole('button', { name: 'Join', exact: true }).click();
    await viewer.getByLabel('Your question').fill('Can I ask from my phone?');
    await viewer.getByLabel('Your question').press('Enter');
    await viewer.getByText('Can I ask from my phone?').waitFor();
    // Own questions cannot be upvoted; Asha's can, from the keyboard.
    await expect(viewer.getByRole('button', { name: /question by Vik/ }).isDisabled()).resolves.toBe(true);
    const upvote = viewer.getByRole('button', { name: /Upvote question by Asha/ });
    await upvote.focus();
    await viewer.keyboard.press('Enter');
    await viewer.getByRole('button', { name: /Remove upvote from question by Asha, 1 vote$/ }).waitFor();
    await waitFor(
      () => ashaQa.questions.find((q) => q.id === early.id)?.votes === 1,
      'the vote to reach Asha',
    );

    const host = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await host.goto(room.links.host);
    await host.getByLabel('Your name').fill('Hana');
    await host.getByRole('button', { name: 'Join stage' }).click();
    await host.getByRole('tab', { name: /Q&A/ }).click();
    const list = host.getByRole('list', { name: 'Questions' });
    await list.getByText('Can I ask from my phone?').waitFor();
    // Most votes first, then oldest first.
    await expect(list.locator('.text').allTextContents()).resolves.toEqual([
      'What is next on the roadmap?',
      'Can I ask from my phone?',
    ]);
    await host.getByRole('radio', { name: 'Oldest first' }).check();
    await host.getByRole('button', { name: 'Answered' }).first().click();
    await waitFor(() => ashaQa.questions.find((q) => q.id === early.id)?.answered === true, 'answered');
    const onAir = nextEvent<[Question | null]>((l) => ashaQa.on('highlighted', l));
    await host.getByRole('button', { name: 'Show on air' }).nth(1).click();
    expect((await onAir)[0]?.text).toBe('Can I ask from my phone?');
    await viewer.locator('.on-air').getByText('Can I ask from my phone?').waitFor();
  }, 120_000);
});
