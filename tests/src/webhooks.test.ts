import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { HandsClient, type Room } from '@stagecast/sdk';
import type {
  WebhookDeliveriesResponse,
  WebhookEndpointWithSecret,
  WebhookEventType,
  WebhookListResponse,
} from '@stagecast/protocol';
import { TestIngest, waitFor } from './helpers/servers.js';
import {
  WebhookReceiver as Receiver,
  webhookHeaders as headersOf,
  webhookPayload as payloadOf,
  type Received,
} from './helpers/WebhookReceiver.js';

let ingest: TestIngest;
const receivers: Receiver[] = [];
const endpoints: string[] = [];
const clients: Room[] = [];
const rooms: string[] = [];

beforeAll(async () => {
  // Quick retries, so that the test sees the second attempt within seconds.
  ingest = await TestIngest.start({
    webhooks: { concurrency: 4, attempts: 8, retryBaseMs: 300, rotationGraceSeconds: 86_400 },
  });
});
afterAll(async () => {
  for (const client of clients) client.close();
  // Endpoints are server-wide: none may outlive the test and get other tests' events.
  for (const id of endpoints) await ingest?.api('DELETE', `/api/webhooks/${id}`);
  for (const id of rooms) await ingest?.api('DELETE', `/api/rooms/${id}`);
  await ingest?.close();
  for (const receiver of receivers) await receiver.close();
});

async function register(url: string, events?: WebhookEventType[]): Promise<WebhookEndpointWithSecret> {
  const res = await ingest.api<WebhookEndpointWithSecret>('POST', '/api/webhooks', { url, events });
  expect(res.status).toBe(201);
  endpoints.push(res.body.id);
  return res.body;
}

describe('webhooks: Standard Webhooks signature and delivery', () => {
  it('signs every event of a journey (verified independently), retries a refused attempt under the same webhook-id and logs both attempts; a rotated secret keeps signing through its grace', async () => {
    // Every message is refused once (500) and accepted on its retry.
    const seen = new Set<string>();
    const receiver = await Receiver.start((headers) => {
      const id = String(headers['webhook-id']);
      if (seen.has(id)) return 204;
      seen.add(id);
      return 500;
    });
    receivers.push(receiver);
    const endpoint = await register(receiver.url);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}=*$/);
    expect(endpoint.events).toContain('hand.raised');
    const listed = await ingest.api<WebhookListResponse>('GET', '/api/webhooks');
    const mine = listed.body.webhooks.find((w) => w.id === endpoint.id);
    expect(mine).toMatchObject({ url: receiver.url });
    expect(JSON.stringify(listed.body)).not.toContain(endpoint.secret);

    // The journey: a room, its host on stage, a viewer who raises a hand and leaves, then the end.
    const { id: roomId } = await ingest.createRoom('Webhook journey');
    rooms.push(roomId);
    const host = await ingest.join(roomId, 'host', 'Hannah');
    clients.push(host);
    const viewer = await ingest.join(roomId, 'viewer', 'Victor');
    clients.push(viewer);
    await new HandsClient(viewer).raise('Can I ask about webhooks?');
    viewer.close();
    // The host leaves once the viewer's departure was reported (the order below depends on it).
    const accepted = (type: WebhookEventType) =>
      receiver.received.filter(
        (r) =>
          r.answered === 204 &&
          payloadOf(r).type === type &&
          JSON.stringify(payloadOf(r).data).includes(roomId),
      );
    await waitFor(() => accepted('peer.left').length === 1, 'the viewer’s peer.left');
    host.close();
    await waitFor(() => accepted('peer.left').length === 2, 'the host’s peer.left');
    expect((await ingest.api('DELETE', `/api/rooms/${roomId}`)).status).toBe(204);
    rooms.splice(rooms.indexOf(roomId), 1);

    const expected: [WebhookEventType, number][] = [
      ['room.created', 1],
      ['peer.joined', 2],
      ['stage.changed', 2],
      ['hand.raised', 1],
      ['peer.left', 2],
      ['room.deleted', 1],
    ];
    await waitFor(
      () => expected.every(([type, n]) => accepted(type).length === n),
      'every event of the journey, accepted',
      30_000,
    );

    const ofRoom = receiver.received.filter((r) => JSON.stringify(payloadOf(r).data).includes(roomId));
    const verifier = new Webhook(endpoint.secret);
    for (const request of ofRoom) {
      // The independent implementation checks the signature and the timestamp's freshness.
      expect(verifier.verify(request.body, headersOf(request))).toEqual(JSON.parse(request.body));
      const payload = payloadOf(request);
      expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);
      expect(Number(request.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 120);
      expect(request.headers['content-type']).toBe('application/json');
    }
    // Each message: refused once, then the same id and the same bytes again, accepted.
    const byId = new Map<string, Received[]>();
    for (const r of ofRoom) {
      const id = String(r.headers['webhook-id']);
      byId.set(id, [...(byId.get(id) ?? []), r]);
    }
    expect(byId.size).toBe(9);
    for (const [id, attempts] of byId) {
      expect(id).toMatch(/^msg_/);
      expect(attempts.map((a) => a.answered)).toEqual([500, 204]);
      expect(attempts[1]?.body).toBe(attempts[0]?.body);
    }
    // What the events say.
    expect(payloadOf(accepted('room.created')[0]!).data).toEqual({ roomId, name: 'Webhook journey' });
    expect(payloadOf(accepted('hand.raised')[0]!).data).toMatchObject({
      roomId,
      name: 'Victor',
      question: 'Can I ask about webhooks?',
      position: 1,
    });
    const joined = accepted('peer.joined').map(
      (r) => payloadOf(r).data as { peer: { name: string; role: string } },
    );
    expect(joined.map((d) => `${d.peer.name}:${d.peer.role}`).sort()).toEqual([
      'Hannah:host',
      'Victor:viewer',
    ]);
    const stages = accepted('stage.changed').map(
      (r) => (payloadOf(r).data as { stage: { name: string }[] }).stage,
    );
    expect(stages.map((s) => s.map((p) => p.name))).toEqual(expect.arrayContaining([['Hannah'], []]));

    // A body changed on the way fails verification; so does another endpoint's secret.
    const sample = accepted('hand.raised')[0]!;
    const tampered = sample.body.replace('Victor', 'Mallory');
    expect(tampered).not.toBe(sample.body);
    expect(() => verifier.verify(tampered, headersOf(sample))).toThrow();
    const other = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    expect(() => other.verify(sample.body, headersOf(sample))).toThrow();

    // The delivery log shows both attempts of a message.
    const log = await ingest.api<WebhookDeliveriesResponse>('GET', `/api/webhooks/${endpoint.id}/deliveries`);
    expect(log.status).toBe(200);
    const handId = String(sample.headers['webhook-id']);
    const handAttempts = log.body.deliveries.filter((d) => d.messageId === handId);
    expect(handAttempts.map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [2, 204, true],
      [1, 500, false],
    ]);
    for (const d of handAttempts) {
      expect(d.type).toBe('hand.raised');
      expect(d.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(Date.parse(d.at))).toBe(false);
    }

    // A rotated secret signs what follows. For the grace (24 h by default) the old secret signs
    // beside it, so a receiver that has not switched yet still verifies, and one that has too.
    const rotated = await ingest.api<WebhookEndpointWithSecret>(
      'POST',
      `/api/webhooks/${endpoint.id}/secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const graceEnds = Date.parse(rotated.body.previousSecretExpiresAt ?? '');
    expect(graceEnds).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(graceEnds).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    const relisted = await ingest.api<WebhookListResponse>('GET', '/api/webhooks');
    const shown = relisted.body.webhooks.find((w) => w.id === endpoint.id);
    expect(shown?.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
    expect(JSON.stringify(relisted.body)).not.toContain(endpoint.secret.slice(6));
    expect(JSON.stringify(relisted.body)).not.toContain(rotated.body.secret.slice(6));
    const firstEventOf = async (roomName: string) => {
      const { id: created } = await ingest.createRoom(roomName);
      rooms.push(created);
      return waitFor(
        () => receiver.received.find((r) => r.answered === 204 && r.body.includes(created)),
        `the event of ${roomName}`,
      );
    };
    const during = await firstEventOf('During the grace');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(during.body, headersOf(during))).not.toThrow();
    expect(() => verifier.verify(during.body, headersOf(during))).not.toThrow();

    // A leaked secret is revoked at once: no grace, only the newest secret signs.
    const revoked = await ingest.api<WebhookEndpointWithSecret>(
      'POST',
      `/api/webhooks/${endpoint.id}/secret`,
      { graceSeconds: 0 },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.previousSecretExpiresAt).toBeUndefined();
    const after = await firstEventOf('After revocation');
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(revoked.body.secret).verify(after.body, headersOf(after))).not.toThrow();
    expect(() => new Webhook(rotated.body.secret).verify(after.body, headersOf(after))).toThrow();
    expect(() => verifier.verify(after.body, headersOf(after))).toThrow();
    for (const graceSeconds of [-1, 1.5, 'soon', 31 * 24 * 3600]) {
      const bad = await ingest.api<{ error: { code: string } }>(
        'POST',
        `/api/webhooks/${endpoint.id}/secret`,
        { graceSeconds },
      );
      expect(bad.status, String(graceSeconds)).toBe(400);
      expect(bad.body.error.code).toBe('BAD_REQUEST');
    }
  }, 90_000);

  it('times out a webhook endpoint that never answers after 5 s, without delaying room requests (signature still sent)', async () => {
    const receiver = await Receiver.start(() => 'hang');
    receivers.push(receiver);
    const endpoint = await register(receiver.url, ['room.created']);
    const started = Date.now();
    const { id: roomId } = await ingest.createRoom('Hanging endpoint');
    // The room is created while its event waits for an endpoint that will take 5 s to give up.
    const tookMs = Date.now() - started;
    rooms.push(roomId);
    expect(tookMs).toBeLessThan(3000);
    await waitFor(() => receiver.received.length > 0, 'the hanging request');
    expect(receiver.received[0]?.headers['webhook-signature']).toMatch(/^v1,/);
    // Other room requests go on meanwhile.
    const info = await ingest.api('GET', `/api/rooms/${roomId}`);
    expect(info.status).toBe(200);

    const log = await waitFor(
      async () => {
        const res = await ingest.api<WebhookDeliveriesResponse>(
          'GET',
          `/api/webhooks/${endpoint.id}/deliveries`,
        );
        return res.body.deliveries.length > 0 ? res.body.deliveries : null;
      },
      'the timed-out attempt in the log',
      30_000,
    );
    const first = log[log.length - 1]!;
    expect(first).toMatchObject({ attempt: 1, status: null, ok: false, type: 'room.created' });
    expect(first.error).toMatch(/timed out after 5000 ms/);
    // 5 s, give or take a loaded machine.
    expect(first.durationMs).toBeGreaterThanOrEqual(4900);
    expect(first.durationMs).toBeLessThan(15_000);
  }, 60_000);

  it('refuses non-http, metadata and self-pointing webhook URLs and unknown event names with stable codes (and no signature secret)', async () => {
    const before = (await ingest.api<WebhookListResponse>('GET', '/api/webhooks')).body.webhooks.length;
    for (const url of [
      'ftp://example.com/hook',
      'javascript:alert(1)',
      'not a url',
      '/relative/hook',
      'file:///etc/passwd',
      // Cloud metadata (link-local) and this ingest itself.
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://metadata.google.internal/computeMetadata/v1/',
      `${ingest.url}/api/rooms`,
    ]) {
      const res = await ingest.api<{ error: { code: string }; id?: string; secret?: string }>(
        'POST',
        '/api/webhooks',
        { url },
      );
      // Accepted by mistake: deleted afterwards all the same, so it never gets other tests' events.
      if (res.body.id) endpoints.push(res.body.id);
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe('WEBHOOK_URL_INVALID');
      expect(res.body.secret).toBeUndefined();
    }
    const unknown = await ingest.api<{ error: { code: string; message: string } }>('POST', '/api/webhooks', {
      url: 'https://example.com/hook',
      events: ['room.created', 'room.exploded'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('WEBHOOK_EVENT_UNKNOWN');
    expect(unknown.body.error.message).toContain('room.exploded');
    for (const body of [
      {},
      { url: 42 },
      { url: 'https://example.com/hook', events: 'room.created' },
      { url: 'https://example.com/hook', events: [] },
    ]) {
      const res = await ingest.api<{ error: { code: string } }>('POST', '/api/webhooks', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
    }
    const noSecret = await ingest.api('POST', '/api/webhooks', { url: 'https://example.com/hook' }, 'wrong');
    expect(noSecret.status).toBe(401);
    for (const [method, path] of [
      ['DELETE', '/api/webhooks/wh_nope'],
      ['POST', '/api/webhooks/wh_nope/secret'],
      ['GET', '/api/webhooks/wh_nope/deliveries'],
      ['DELETE', '/api/webhooks/..%2F..'],
    ] as const) {
      const res = await ingest.api<{ error: { code: string } }>(method, path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await ingest.api<WebhookListResponse>('GET', '/api/webhooks')).body.webhooks.length).toBe(before);
  });

  it('refuses a name that resolves to this server at registration and again when connecting (DNS rebinding), while a receiver on another local port gets its deliveries', async () => {
    const port = Number(new URL(ingest.url).port);
    // This machine's own name resolves to one of its addresses without being written as one.
    const name = hostname();
    const selfByName = `http://${name}:${port}/api/rooms`;
    const refused = await ingest.api<{ error: { code: string; message: string }; id?: string }>(
      'POST',
      '/api/webhooks',
      { url: selfByName },
    );
    if (refused.body.id) endpoints.push(refused.body.id);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('WEBHOOK_URL_INVALID');
    expect(refused.body.error.message).toMatch(
      new RegExp(`must not point at this server itself \\(${name.toLowerCase()} resolves to `),
    );

    const receiver = await Receiver.start();
    receivers.push(receiver);
    const byName = await register(receiver.url.replace('127.0.0.1', name), ['room.created']);
    // A name registered while it resolved elsewhere, that now resolves to this server. The
    // resolver here cannot be made to change its answer, so the stored URL is changed instead:
    // the worker reads it from Redis at each attempt just the same.
    const rebound = await register(receiver.url.replace('/hooks', '/rebound'), ['room.created']);
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const key = `stagecast:webhook:${rebound.id}`;
      const stored = JSON.parse((await redis.get(key)) ?? '{}') as { url: string };
      expect(stored.url).toBe(rebound.url);
      await redis.set(key, JSON.stringify({ ...stored, url: selfByName }), 'XX');
    } finally {
      redis.disconnect();
    }

    const { id: roomId } = await ingest.createRoom('Rebound endpoint');
    rooms.push(roomId);
    await waitFor(() => receiver.received.some((r) => r.body.includes(roomId)), 'the delivery by name');
    expect(receiver.received.filter((r) => r.body.includes(roomId)).map((r) => r.headers.host)).toEqual([
      `${name}:${new URL(receiver.url).port}`,
    ]);
    const attempts = await waitFor(
      async () => {
        const res = await ingest.api<WebhookDeliveriesResponse>(
          'GET',
          `/api/webhooks/${rebound.id}/deliveries`,
        );
        return res.body.deliveries.length >= 2 ? res.body.deliveries : null;
      },
      'two refused attempts of the rebound endpoint',
      30_000,
    );
    // Refused when connecting, each attempt anew (within the retry policy); nothing reached the ingest.
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({
        status: null,
        ok: false,
        code: 'WEBHOOK_URL_INVALID',
        type: 'room.created',
      });
      expect(attempt.error).toMatch(
        new RegExp(
          `^must not point at this server itself \\(${name.toLowerCase()} resolves to [0-9a-f.:]+\\)$`,
        ),
      );
    }
    expect(attempts.map((a) => a.attempt).slice(-2)).toEqual([2, 1]);
    const delivered = await ingest.api<WebhookDeliveriesResponse>(
      'GET',
      `/api/webhooks/${byName.id}/deliveries`,
    );
    expect(delivered.body.deliveries.map((d) => [d.status, d.ok, d.code])).toEqual([[204, true, undefined]]);
  }, 60_000);
});
