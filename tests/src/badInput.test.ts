import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient, type Room } from '@stagecast/sdk';
import { TestIngest, TEST_SECRET } from './helpers/servers.js';
import { rawRequest } from './helpers/rawHttp.js';
import { refusal } from './helpers/events.js';

let ingest: TestIngest;
let roomId: string;
const clients: Room[] = [];
const auth = { authorization: `Bearer ${TEST_SECRET}` };

beforeAll(async () => {
  ingest = await TestIngest.start();
  roomId = (await ingest.createRoom('Bad input')).id;
  // A connected viewer and a sent message give the room its `:presence` and `:chat` keys.
  const viewer = await ingest.join(roomId, 'viewer', 'Viewer');
  clients.push(viewer);
  await new ChatClient(viewer).send('hello');
});
afterAll(async () => {
  for (const client of clients) client.close();
  await ingest?.api('DELETE', `/api/rooms/${roomId}`);
  await ingest?.close();
});

/** The server still serves a well-behaved client after each refusal. */
async function stillServes(): Promise<void> {
  const res = await rawRequest(ingest.url, { target: `/api/rooms/${roomId}`, headers: auth });
  expect(res.status).toBe(200);
}

describe('bad input', () => {
  it('answers malformed request targets with 400 BAD_REQUEST', async () => {
    for (const target of [
      '//[',
      '//x:y@',
      '//x:y@/api/rooms',
      '/api/rooms/%E0%A4%A',
      '/hls/%ZZ/master.m3u8',
    ]) {
      const res = await rawRequest(ingest.url, { target, headers: auth });
      expect({ target, status: res.status, code: res.code }).toEqual({
        target,
        status: 400,
        code: 'BAD_REQUEST',
      });
    }
    await stillServes();
  });

  it('refuses room ids that name another key of the room before asking Redis', async () => {
    const requests: [string, string][] = [];
    for (const suffix of [':presence', ':chat', ':bans', ':hands', '*']) {
      const id = encodeURIComponent(`${roomId}${suffix}`);
      requests.push(
        ['GET', `/api/rooms/${id}`],
        ['GET', `/api/rooms/${id}/chat`],
        ['POST', `/api/rooms/${id}/tokens`],
        ['GET', `/api/rooms/${id}/layout`],
        ['GET', `/api/rooms/${id}/recordings`],
        ['DELETE', `/api/rooms/${id}`],
      );
    }
    for (const [method, target] of requests) {
      const res = await rawRequest(ingest.url, {
        method,
        target,
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'viewer', name: 'x' }),
      });
      expect({ target, status: res.status, code: res.code }).toEqual({
        target,
        status: 404,
        code: 'ROOM_NOT_FOUND',
      });
    }
    const join = await ingest.api<{ error: { code: string } }>('POST', '/api/join', {
      code: `${roomId}:presence`,
      name: 'x',
    });
    expect([join.status, join.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    await stillServes();
  });

  it('answers chat delete and pin of unknown message ids with NOT_FOUND', async () => {
    const host = await ingest.join(roomId, 'host', 'Host');
    clients.push(host);
    const chat = new ChatClient(host);
    // Well-formed ids: one no message has, one beyond the 64-bit range of Redis stream ids.
    for (const id of ['1-0', '99999999999999999999-0', '1-99999999999999999999']) {
      expect((await refusal(chat.delete(id))).code).toBe('NOT_FOUND');
      expect((await refusal(chat.pin(id))).code).toBe('NOT_FOUND');
    }
    expect((await refusal(chat.delete('not-an-id'))).code).toBe('BAD_REQUEST');
    expect((await refusal(host.request('stage:invite', { peerId: `${roomId}:presence` }))).code).toBe(
      'BAD_REQUEST',
    );
    const sent = await chat.send('still here');
    await chat.pin(sent.id);
  });

  it('limits every request body, chunked ones included, with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(20_000) });
    const declared = await rawRequest(ingest.url, {
      method: 'POST',
      target: '/api/rooms',
      headers: { ...auth, 'content-type': 'application/json' },
      body: big,
    });
    expect([declared.status, declared.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);

    // Without a length: the server counts as it reads, and stops reading.
    function* endless(): Generator<string> {
      yield '{"name":"';
      for (let i = 0; i < 10_000; i++) yield 'x'.repeat(1024);
    }
    for (const target of ['/api/rooms', '/api/join', `/api/rooms/${roomId}/layout`]) {
      const chunked = await rawRequest(ingest.url, {
        method: target.endsWith('layout') ? 'PUT' : 'POST',
        target,
        headers: { ...auth, 'content-type': 'application/json' },
        chunks: endless(),
      });
      expect({ target, status: chunked.status, code: chunked.code }).toEqual({
        target,
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
    }
    // A route that reads no body is no way around the limit.
    const unread = await rawRequest(ingest.url, {
      method: 'GET',
      target: `/api/rooms/${roomId}`,
      headers: { ...auth, 'content-length': String(1024 * 1024) },
      body: 'x'.repeat(1024 * 1024),
    });
    expect([unread.status, unread.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    await stillServes();
  });
});
