import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import {
  COMPOSITE_QUEUE,
  type Recording,
  type WebhookEndpointWithSecret,
  type WebhookEventType,
} from '@stagecast/protocol';
import { QuestionsClient } from '@stagecast/sdk';
import { Bot } from './bot/Bot.js';
import { launchChromium, newPage as openPage } from './helpers/chromium.js';
import { decodesEverySegment, fetchPlaylist, probeStreams } from './helpers/hls.js';
import { botClip } from './helpers/botClip.js';
import { frameShowing, isAccentBlue, LOWER_THIRD_ACCENT } from './helpers/frames.js';
import {
  askInViewerApp,
  hlsAdvances,
  JourneyRoom,
  screenshotter,
  startPollInHostApp,
} from './helpers/journey.js';
import { ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { WebhookReceiver, webhookHeaders, webhookPayload } from './helpers/WebhookReceiver.js';

/*
 * The whole webinar, as people live it: a host in the broadcaster app, a bot co-host, a viewer
 * in the viewer app who comes backstage, goes on air, asks a question the host puts on air and
 * votes in the host's poll, against real ingest, transcoder (its own process), Redis and
 * FFmpeg; an integration's webhook endpoint hears the broadcast start, end and its recording.
 */

const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url));
const BROADCAST_EVENTS: WebhookEventType[] = ['broadcast.started', 'broadcast.ended', 'recording.ready'];
const cleanups: (() => unknown)[] = [];
let ingest: TestIngest;
let browser: Browser;
let queue: Queue;
let receiver: WebhookReceiver;
let endpoint: WebhookEndpointWithSecret;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const redisUrl = await ownRedisDatabase(14);
  ingest = await TestIngest.start({ redisUrl });
  const transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
  cleanups.push(() => transcoder.stop());
  queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
  cleanups.push(() => queue.close());
  receiver = await WebhookReceiver.start();
  cleanups.push(() => receiver.close());
  endpoint = (
    await ingest.api<WebhookEndpointWithSecret>('POST', '/api/webhooks', {
      url: receiver.url,
      events: BROADCAST_EVENTS,
    })
  ).body;
  cleanups.push(() => ingest.api('DELETE', `/api/webhooks/${endpoint.id}`));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
}, 60_000);

const newPage = (): Promise<Page> => openPage(browser, cleanups);
const snap = screenshotter(ARTIFACTS, 'journey');

/**
 * The data of each webhook message (one per `webhook-id`: a delivery may be repeated) the
 * receiver got for one event type of one room, each signature verified with the endpoint's secret.
 */
function verifiedEvents(roomId: string, type: WebhookEventType): Record<string, unknown>[] {
  const verifier = new Webhook(endpoint.secret);
  const messages = new Map<string, Record<string, unknown>>();
  for (const r of receiver.received) {
    const payload = webhookPayload(r);
    if (payload.type !== type || !JSON.stringify(payload.data).includes(roomId)) continue;
    const verified = verifier.verify(r.body, webhookHeaders(r)) as { data: Record<string, unknown> };
    messages.set(String(r.headers['webhook-id']), verified.data);
  }
  return [...messages.values()];
}

describe('the journey of a webinar', () => {
  it(
    'host and co-host go live; a viewer chats, comes backstage, goes on air, asks a question the host highlights on air, votes in a poll, goes back; webhooks and the recording follow',
    { timeout: 480_000 },
    async () => {
      const { id, links } = await ingest.createRoom('Journey webinar');
      const room = new JourneyRoom(ingest, queue, id);

      // The host joins through the broadcaster app.
      const host = await newPage();
      await host.goto(links.host);
      await host.getByLabel('Your name').fill('Hanna Host');
      await snap(host, 'host-prejoin');
      await host.getByRole('button', { name: 'Join stage' }).click();
      const tiles = host.getByTestId('tile');
      await waitFor(async () => (await tiles.count()) === 1, 'the host tile');

      // A bot co-host joins.
      const bot = await Bot.start({
        url: ingest.url,
        token: await ingest.token(id, 'cohost', 'Cody Cohost'),
        name: 'Cody Cohost',
        webm: await botClip('Cody Cohost'),
      });
      cleanups.push(() => bot.stop());
      await waitFor(async () => (await tiles.count()) === 2, 'the co-host tile');
      await snap(host, 'host-stage');

      // Go live: the header reaches "Live" and the composite has both of them.
      await host.getByRole('button', { name: 'Go live' }).click();
      await waitFor(
        async () => ((await host.getByTestId('live-state').textContent()) ?? '').includes('Live'),
        'the live state',
        60_000,
      );
      await waitFor(async () => (await room.compositeTiles()) === 2, 'two tiles in the composite', 30_000);
      await host.getByRole('tab', { name: /Broadcast/ }).click();
      await hlsAdvances(host, 'hls-preview');
      await snap(host, 'host-live');
      // The integration heard it start, signed.
      const [started] = await waitFor(() => verifiedEvents(id, 'broadcast.started'), 'broadcast.started');
      expect(started).toMatchObject({ roomId: id, hlsUrl: expect.stringContaining(id) as unknown });

      // A viewer watches through the viewer app.
      const viewer = await newPage();
      await viewer.goto(links.viewer);
      await viewer.getByLabel('Your name').fill('Vera Viewer');
      await viewer.getByRole('button', { name: 'Join', exact: true }).click();
      await hlsAdvances(viewer, 'hls-player');
      await snap(viewer, 'viewer-playing');

      // Chat both ways.
      await host.getByRole('tab', { name: /Chat/ }).click();
      await viewer.getByLabel('Chat message').fill('Hello from the audience');
      await viewer.getByRole('button', { name: 'Send' }).click();
      await host.getByText('Hello from the audience').waitFor();
      await host.getByRole('textbox', { name: 'Chat message' }).fill('Welcome, Vera!');
      await host.getByRole('button', { name: 'Send' }).click();
      await viewer.getByText('Welcome, Vera!').waitFor();
      await snap(viewer, 'viewer-chat');

      // Raise hand → invited from the queue → accept → device check → on stage.
      await viewer.getByLabel('Question (optional)').fill('May I show my demo?');
      await viewer.getByRole('button', { name: 'Raise hand' }).click();
      await host.getByRole('tab', { name: /People/ }).click();
      await host.getByText('May I show my demo?').waitFor();
      await snap(host, 'host-hand-raised');
      await host.getByRole('button', { name: 'Invite Vera Viewer' }).click();
      await viewer
        .getByRole('dialog', { name: 'You are invited on stage' })
        .getByRole('button', { name: 'Accept' })
        .click();
      const joinStage = viewer.getByRole('button', { name: 'Join stage' });
      await waitFor(() => joinStage.isEnabled(), 'the device check');
      await joinStage.click();
      await waitFor(async () => (await tiles.count()) === 3, "the guest's tile at the host");
      const vera = await room.publishing('Vera Viewer');

      // She arrives backstage: the host sees her, the picture on air does not (several reports).
      await viewer.getByTestId('air-state').getByText('You are backstage').waitFor();
      for (let i = 0; i < 3; i++) {
        expect(await room.compositeTiles()).toBe(2);
        expect((await room.onAir())?.peerIds).not.toContain(vera);
        await new Promise((r) => setTimeout(r, 1000));
      }
      await snap(host, 'host-guest-backstage');

      // The host greets her, then puts her on air from the People tab, with the keyboard.
      const putOnAir = host.getByRole('button', { name: 'Put Vera Viewer on air' });
      await putOnAir.focus();
      await host.keyboard.press('Enter');
      await waitFor(async () => (await room.compositeTiles()) === 3, 'the guest in the composite', ON_AIR_MS);
      await waitFor(async () => (await room.onAir())?.peerIds.includes(vera), 'the guest on air', ON_AIR_MS);
      await viewer.getByTestId('air-state').getByText('You are on air').waitFor();
      await snap(host, 'host-guest-on-air');
      await snap(viewer, 'viewer-on-air');

      // On air, she asks in Q&A; another viewer upvotes it; the host puts it on air.
      const uma = await ingest.join(id, 'viewer', 'Uma');
      cleanups.push(() => uma.close());
      const umaQa = new QuestionsClient(uma);
      const question = 'How do I try the demo at home?';
      await askInViewerApp(viewer, question);
      const asked = await waitFor(
        () => umaQa.questions.find((q) => q.text === question),
        'the question at Uma',
      );
      await umaQa.upvote(asked.id);
      await host.getByRole('tab', { name: /Q&A/ }).click();
      const item = host
        .getByRole('list', { name: 'Questions' })
        .getByRole('listitem')
        .filter({ hasText: question });
      await item.getByLabel('1 vote').waitFor();
      await item.getByRole('button', { name: 'Show on air' }).click();
      await viewer.locator('.on-air').getByText(question).waitFor();
      await waitFor(
        async () => (await room.onAir())?.lowerThird === question,
        'the lower-third on air',
        ON_AIR_MS,
      );
      const master = `${ingest.url}/hls/${id}/master.m3u8`;
      await frameShowing(master, LOWER_THIRD_ACCENT, isAccentBlue, 'the lower-third accent');
      await snap(host, 'host-question-on-air');
      await item.getByRole('button', { name: 'Off air' }).click();
      await waitFor(async () => !(await room.onAir())?.lowerThird, 'the lower-third off', ON_AIR_MS);

      // The host starts a poll; she votes in the viewer app; the host sees it and closes it.
      await startPollInHostApp(host, 'Which demo next?', ['Whiteboard', 'Screen share']);
      await viewer.getByRole('heading', { name: 'Which demo next?' }).waitFor();
      await viewer.getByRole('radio', { name: 'Whiteboard' }).check();
      await viewer.getByRole('button', { name: 'Vote', exact: true }).click();
      await viewer.getByTestId('poll-voted').getByText('You voted: Whiteboard').waitFor();
      const open = host.getByTestId('open-poll');
      await open.getByText('1 person voted').waitFor();
      await expect(open.getByTestId('poll-result').first().textContent()).resolves.toContain('1 · 100%');
      await snap(host, 'host-poll-result');
      await host.getByRole('button', { name: 'Close and share results' }).click();
      await viewer.getByTestId('poll-closed').getByText('1 person voted').waitFor();
      await host.getByTestId('poll-history').getByText('Which demo next?').waitFor();
      await snap(viewer, 'viewer-poll-closed');

      // The host moves her back: she is a viewer again, on HLS.
      await host.getByRole('tab', { name: /People/ }).click();
      await host.getByRole('button', { name: 'Move Vera Viewer to audience' }).click();
      await viewer.getByText('moved you back to the audience').waitFor();
      await waitFor(async () => (await tiles.count()) === 2, 'the guest tile gone at the host');
      await hlsAdvances(viewer, 'hls-player');
      await waitFor(
        async () => (await room.compositeTiles()) === 2,
        'the composite without the guest',
        ON_AIR_MS,
      );
      await snap(viewer, 'viewer-back-on-hls');

      // End, once the broadcast holds more than the recording must: the flow above may take less
      // time on a fast machine than the recording's bound.
      await waitFor(
        async () => {
          const variant = (await fetchPlaylist(master))?.manifest.playlists?.[0];
          if (!variant) return false;
          const media = await fetchPlaylist(new URL(variant.uri, master).toString());
          return (media?.manifest.segments ?? []).reduce((sum, seg) => sum + seg.duration, 0) >= 12;
        },
        'twelve seconds of broadcast',
        30_000,
      );
      // The recording is listed and plays.
      await host.getByRole('button', { name: 'End broadcast' }).click();
      await waitFor(async () => (await room.info()).live.state === 'ended', 'the broadcast to end', 30_000);
      await viewer.getByTestId('ended').waitFor();
      await snap(viewer, 'viewer-ended');
      const { body } = await ingest.api<{ recordings: Recording[] }>('GET', `/api/rooms/${id}/recordings`);
      const recording = body.recordings[0];
      if (!recording) throw new Error('no recording listed');
      const url = new URL(recording.url, ingest.url).toString();
      const streams = await probeStreams(url);
      expect(streams.video).toBeGreaterThanOrEqual(1);
      expect(streams.audio).toBeGreaterThanOrEqual(1);
      expect(streams.duration).toBeGreaterThan(10);
      const recorded = await fetchPlaylist(url);
      const lowest = recorded?.manifest.playlists?.at(-1);
      if (!lowest) throw new Error('the recording has no renditions');
      expect(await decodesEverySegment(new URL(lowest.uri, url).toString())).toBeGreaterThan(5);

      // The integration heard the end with the recording, and the recording ready, each signed
      // once and for this broadcast.
      const [ended] = await waitFor(() => verifiedEvents(id, 'broadcast.ended'), 'broadcast.ended');
      const [ready] = await waitFor(() => verifiedEvents(id, 'recording.ready'), 'recording.ready');
      const broadcastId = started?.broadcastId;
      expect(ended).toEqual({ roomId: id, broadcastId, state: 'ended', recordingUrl: recording.url });
      expect(ready).toMatchObject({
        roomId: id,
        broadcastId,
        url: recording.url,
        startedAt: recording.startedAt,
      });
      for (const type of BROADCAST_EVENTS) expect(verifiedEvents(id, type), type).toHaveLength(1);
    },
  );
});
