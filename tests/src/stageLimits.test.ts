import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, MediaSource, RoomInfo, RtpParameters } from '@stagecast/protocol';
import { connect, StagecastClientError, type Room } from '@stagecast/sdk';
import { io } from 'socket.io-client';
import { RawClient } from './helpers/rawClient.js';
import { TestIngest, waitFor } from './helpers/servers.js';

/** Small caps, so that each is reached in a few requests. */
const MAX_STAGE = 3;
const LIMITS = { webRtcTransports: 2, plainTransports: 2, producers: 3, consumers: 3 };

let ingest: TestIngest;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  ingest = await TestIngest.start({ maxStage: MAX_STAGE, peerLimits: LIMITS });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await ingest?.close();
});

async function raw(roomId: string, role: 'host' | 'cohost' | 'viewer', name: string): Promise<RawClient> {
  const client = await RawClient.connect(ingest.url, await ingest.token(roomId, role, name), roomId);
  cleanups.push(() => client.close());
  return client;
}

async function sdk(roomId: string, role: 'host' | 'cohost' | 'viewer', name: string): Promise<Room> {
  const room = await ingest.join(roomId, role, name);
  cleanups.push(() => room.close());
  return room;
}

/** The error code of a refused request, or 'ok'. */
const outcome = (result: AckResult<unknown>): string => (result.ok ? 'ok' : result.error.code);

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof StagecastClientError ? error.code : String(error);
  }
}

const count = (codes: string[]) =>
  codes.reduce<Record<string, number>>((all, code) => ({ ...all, [code]: (all[code] ?? 0) + 1 }), {});

/** RTP parameters a plain transport accepts without any RTP flowing (as a bot sends them). */
function rtpParameters(source: MediaSource, ssrc: number): RtpParameters {
  const video = source === 'camera' || source === 'screen';
  return {
    codecs: [
      video
        ? { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }
        : { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
    ],
    encodings: [{ ssrc }],
  };
}

const produce = (client: RawClient, transportId: string, source: MediaSource, ssrc: number) =>
  client.request('stage:produce', {
    transportId,
    kind: source === 'camera' || source === 'screen' ? 'video' : 'audio',
    source,
    rtpParameters: rtpParameters(source, ssrc),
  });

async function plainTransport(client: RawClient): Promise<string> {
  const result = await client.request('stage:createPlainTransport', {});
  if (!result.ok) throw new Error(`plain transport refused: ${result.error.code}`);
  return (result.data as { id: string }).id;
}

function peerOf(roomId: string, client: RawClient) {
  const peer = ingest.server.ctx.rooms.get(roomId)?.peers.get(client.snapshot.self.peerId);
  if (!peer) throw new Error('peer is not on this ingest');
  return peer;
}

describe('per-peer media limits', () => {
  it('transports over the cap are refused with LIMIT_REACHED, even when asked for at once', async () => {
    const { id } = await ingest.createRoom('Transport caps');
    const host = await raw(id, 'host', 'Host');

    const plain = await Promise.all(
      Array.from({ length: 10 }, () => host.request('stage:createPlainTransport', {})),
    );
    expect(count(plain.map(outcome))).toEqual({ ok: 2, LIMIT_REACHED: 8 });
    const webrtc = await Promise.all(
      (['send', 'recv', 'send', 'recv', 'send'] as const).map((direction) =>
        host.request('stage:createTransport', { direction }),
      ),
    );
    expect(count(webrtc.map(outcome))).toEqual({ ok: 2, LIMIT_REACHED: 3 });
    expect(peerOf(id, host).transports.size).toBe(4);

    // The caps are per connection: the same person still produces on what they have.
    const transportId = (plain.find((r) => r.ok) as { data: { id: string } }).data.id;
    expect(outcome(await produce(host, transportId, 'camera', 1111))).toBe('ok');
  });

  it('concurrent stage:produce for one source gives exactly one producer; the producer cap holds', async () => {
    const { id } = await ingest.createRoom('Produce race');
    const host = await raw(id, 'host', 'Host');
    const transportId = await plainTransport(host);

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => produce(host, transportId, 'camera', 2000 + i)),
    );
    expect(count(results.map(outcome))).toEqual({ ok: 1, CONFLICT: 5 });
    const peer = peerOf(id, host);
    expect([...peer.producers.values()].map((p) => p.appData.source)).toEqual(['camera']);
    const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`);
    expect(body.stage.find((p) => p.peerId === host.snapshot.self.peerId)?.producers).toHaveLength(1);

    // A source after the first is fine up to the producer cap (3 here), then LIMIT_REACHED.
    const more = await Promise.all(
      (['mic', 'screen', 'screen-audio'] as const).map((source, i) =>
        produce(host, transportId, source, 3000 + i),
      ),
    );
    expect(count(more.map(outcome))).toEqual({ ok: 2, LIMIT_REACHED: 1 });
    expect(peer.producers.size).toBe(3);

    // Closing one frees its place.
    const [first] = [...peer.producers.keys()];
    expect(outcome(await host.request('stage:closeProducer', { producerId: first }))).toBe('ok');
    expect(peer.producers.size).toBe(2);
  });

  it('one consumer per producer and peer, and no more consumers than the cap', async () => {
    const { id } = await ingest.createRoom('Consumer caps');
    const host = await raw(id, 'host', 'Host');
    const cohost = await raw(id, 'cohost', 'Cohost');
    const producerIds: string[] = [];
    const hostTransport = await plainTransport(host);
    for (const [i, source] of (['camera', 'mic', 'screen'] as const).entries()) {
      const result = await produce(host, hostTransport, source, 4000 + i);
      producerIds.push((result as { ok: true; data: { producerId: string } }).data.producerId);
    }
    const cohostTransport = await plainTransport(cohost);
    const fourth = await produce(cohost, cohostTransport, 'camera', 4100);
    producerIds.push((fourth as { ok: true; data: { producerId: string } }).data.producerId);

    const viewer = await raw(id, 'cohost', 'Receiver');
    const caps = await viewer.request('stage:capabilities', {});
    const recv = await viewer.request('stage:createTransport', { direction: 'recv' });
    if (!caps.ok || !recv.ok) throw new Error('set-up refused');
    const consume = (producerId: string) =>
      viewer.request('stage:consume', {
        transportId: (recv.data as { id: string }).id,
        producerId,
        rtpCapabilities: caps.data,
      });

    const same = await Promise.all(Array.from({ length: 8 }, () => consume(producerIds[0] ?? '')));
    expect(count(same.map(outcome))).toEqual({ ok: 1, CONFLICT: 7 });
    expect(outcome(await consume(producerIds[0] ?? ''))).toBe('CONFLICT');

    const rest = await Promise.all(producerIds.slice(1).map((p) => consume(p)));
    expect(count(rest.map(outcome))).toEqual({ ok: 2, LIMIT_REACHED: 1 });
    expect(peerOf(id, viewer).consumers.size).toBe(3);

    // A consumer whose producer closes frees its place.
    expect(outcome(await host.request('stage:closeProducer', { producerId: producerIds[1] }))).toBe('ok');
    await waitFor(() => peerOf(id, viewer).consumers.size === 2, 'the closed producer’s consumer to go');
    expect(outcome(await consume(producerIds[3] ?? ''))).toBe('ok');
  });
});

describe('the stage cap', () => {
  it('applies to co-hosts: those who find the stage full are refused with STAGE_FULL', async () => {
    const { id } = await ingest.createRoom('Full stage');
    await sdk(id, 'host', 'Host');
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ingest.token(id, 'cohost', `Cohost ${i}`)),
    );
    const attempts = await Promise.allSettled(
      tokens.map((token) => connect({ url: ingest.url, token, reconnect: false })),
    );
    const joined: Room[] = [];
    const codes = attempts.map((a) => {
      if (a.status === 'fulfilled') {
        joined.push(a.value);
        cleanups.push(() => a.value.close());
        return 'ok';
      }
      return a.reason instanceof StagecastClientError ? a.reason.code : String(a.reason);
    });
    expect(count(codes)).toEqual({ ok: MAX_STAGE - 1, STAGE_FULL: 6 - (MAX_STAGE - 1) });
    const stageSize = async () => (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.stage.length;
    expect(await stageSize()).toBe(MAX_STAGE);

    // A viewer cannot be brought onto a full stage either, and a viewer still joins.
    const host = await sdk(id, 'host', 'Host 2').catch((error: unknown) => error);
    expect(host instanceof StagecastClientError && host.code).toBe('STAGE_FULL');
    const viewer = await sdk(id, 'viewer', 'Watcher');
    expect(viewer.role).toBe('viewer');

    // Someone leaves: the seat is free again.
    joined[0]?.close();
    await waitFor(async () => (await stageSize()) === MAX_STAGE - 1, 'the seat to be free');
    const late = await sdk(id, 'cohost', 'Late cohost');
    expect(late.role).toBe('cohost');
    expect(await stageSize()).toBe(MAX_STAGE);
  });

  it('a co-host who goes away during the handshake gives the seat back', async () => {
    const { id } = await ingest.createRoom('Aborted joins');
    await sdk(id, 'host', 'Host');
    // The handshake is held right after the seat is taken, while the client goes away: the
    // moment a closed tab or a lost network can hit.
    const presence = ingest.server.ctx.presence;
    const takeStageSeat = presence.takeStageSeat.bind(presence);
    let seated!: () => void;
    const seatTaken = new Promise<void>((resolve) => (seated = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    presence.takeStageSeat = async (...args) => {
      const result = await takeStageSeat(...args);
      seated();
      await resumed;
      return result;
    };
    try {
      const socket = io(ingest.url, {
        auth: { token: await ingest.token(id, 'cohost', 'Gone'), roomId: id },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      await seatTaken;
      socket.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      presence.takeStageSeat = takeStageSeat;
      resume();
    }
    const a = await sdk(id, 'cohost', 'Cohost A');
    const b = await sdk(id, 'cohost', 'Cohost B');
    expect([a.role, b.role]).toEqual(['cohost', 'cohost']);
  });

  it('a guest who comes back to a stage filled meanwhile rejoins as a viewer', async () => {
    const { id } = await ingest.createRoom('Guest seat');
    const host = await raw(id, 'host', 'Host');
    const guestToken = await ingest.token(id, 'viewer', 'Guest');
    const guest = await RawClient.connect(ingest.url, guestToken, id);
    const invite = await host.request('stage:invite', { peerId: guest.snapshot.self.peerId });
    if (!invite.ok) throw new Error(`invite refused: ${invite.error.code}`);
    const inviteId = (invite.data as { inviteId: string }).inviteId;
    expect(await guest.request('stage:respondInvite', { inviteId, accept: true })).toMatchObject({
      ok: true,
      data: { role: 'guest' },
    });
    guest.close();
    const stagePeers = async () => (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.stage;
    await waitFor(async () => (await stagePeers()).length === 1, 'the guest to be gone');

    await raw(id, 'cohost', 'Cohost A');
    await raw(id, 'cohost', 'Cohost B');
    const back = await RawClient.connect(ingest.url, guestToken, id);
    cleanups.push(() => back.close());
    expect(back.snapshot.self.role).toBe('viewer');
    expect((await stagePeers()).map((p) => p.name).sort()).toEqual(['Cohost A', 'Cohost B', 'Host']);
    expect(outcome(await back.request('stage:createPlainTransport', {}))).toBe('FORBIDDEN');
  });

  it('an invitation and co-hosts racing for the last seat: exactly one gets it', async () => {
    const { id } = await ingest.createRoom('Last seat');
    const host = await raw(id, 'host', 'Host');
    await raw(id, 'cohost', 'Cohost A');
    const viewer = await raw(id, 'viewer', 'Viewer');
    const invite = await host.request('stage:invite', { peerId: viewer.snapshot.self.peerId });
    if (!invite.ok) throw new Error(`invite refused: ${invite.error.code}`);
    const inviteId = (invite.data as { inviteId: string }).inviteId;
    const tokens = await Promise.all(['Cohost B', 'Cohost C'].map((n) => ingest.token(id, 'cohost', n)));

    const [accepted, ...connected] = await Promise.all([
      viewer.request('stage:respondInvite', { inviteId, accept: true }).then(outcome),
      ...tokens.map((token) =>
        refusal(
          connect({ url: ingest.url, token, reconnect: false }).then((room) => {
            cleanups.push(() => room.close());
          }),
        ),
      ),
    ]);
    const codes = [accepted ?? '', ...connected].map((c) => (c === 'accepted' ? 'ok' : c));
    expect(count(codes)).toEqual({ ok: 1, STAGE_FULL: 2 });
    const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`);
    expect(body.stage).toHaveLength(MAX_STAGE);
  });
});
