import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomInfo, StageInvite, StageModeration, StagePeer } from '@stagecast/protocol';
import { connect, HandsClient, ModerationClient, type Room } from '@stagecast/sdk';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { nextEvent, refusal } from './helpers/events.js';
import { TestIngest, waitFor } from './helpers/servers.js';

/*
 * Stage moderation (mute, hard mute, mute all, removal, who may end the broadcast) against a
 * real ingest, mediasoup, Redis and FFmpeg bots: the server's own producer state is read back
 * through the REST room info (`producers[].paused` is mediasoup's `producer.paused`).
 */

let ingest: TestIngest;
const bots: Bot[] = [];
const clients: Room[] = [];

beforeAll(async () => {
  ingest = await TestIngest.start();
  await Promise.all(['Gina', 'Cody', 'Hugo'].map((name) => botClip(name)));
}, 120_000);

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  for (const client of clients) client.close();
  await ingest?.close();
}, 60_000);

async function bot(roomId: string, role: 'host' | 'cohost' | 'guest', name: string): Promise<Bot> {
  const started = await Bot.start({
    url: ingest.url,
    token: await ingest.token(roomId, role, name),
    name,
    webm: await botClip(name),
  });
  bots.push(started);
  return started;
}

async function join(roomId: string, role: 'host' | 'cohost', name: string): Promise<Room> {
  const room = await ingest.join(roomId, role, name);
  clients.push(room);
  return room;
}

async function stagePeer(roomId: string, peerId: string): Promise<StagePeer | undefined> {
  const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`);
  return body.stage.find((p) => p.peerId === peerId);
}

/** Whether the server's mediasoup producer of `source` is paused. */
async function paused(
  roomId: string,
  peerId: string,
  source: 'mic' | 'camera',
): Promise<boolean | undefined> {
  return (await stagePeer(roomId, peerId))?.producers.find((p) => p.source === source)?.paused;
}

const moderated = (room: Room, match: (e: StageModeration) => boolean = () => true) =>
  nextEvent<[StageModeration]>((l) => {
    room.socket.on('stage:moderated', l);
    return () => room.socket.off('stage:moderated', l);
  }, match);

describe('stage moderation (mute)', () => {
  it('a host mutes a member: the server pauses the producer, the member is told who, and unmutes themselves', async () => {
    const { id } = await ingest.createRoom('Mute room');
    const host = await join(id, 'host', 'Hanna');
    const gina = await bot(id, 'guest', 'Gina');
    await waitFor(async () => (await paused(id, gina.peerId, 'mic')) === false, "Gina's microphone on stage");
    const moderation = new ModerationClient(host);

    const told = moderated(gina.room);
    await moderation.mute(gina.peerId, 'mic');
    const [event] = await told;
    expect(event).toMatchObject({ action: 'mute', peerId: gina.peerId, source: 'mic' });
    expect(event.by).toMatchObject({ name: 'Hanna', role: 'host' });
    expect(await paused(id, gina.peerId, 'mic')).toBe(true);
    // The camera was not touched.
    expect(await paused(id, gina.peerId, 'camera')).toBe(false);

    // A plain mute: the member may unmute.
    await gina.room.request('stage:setProducerPaused', { producerId: gina.producerIds.audio, paused: false });
    expect(await paused(id, gina.peerId, 'mic')).toBe(false);

    // Muting oneself through moderation is refused (one's own buttons do that).
    expect((await refusal(moderation.mute(host.self.peerId, 'mic'))).code).toBe('BAD_REQUEST');
    // Bad input is refused with a stable code, not a crash.
    const bad = await refusal(host.request('stage:mute', { peerId: gina.peerId, source: 'screen' } as never));
    expect(bad.code).toBe('BAD_REQUEST');
    moderation.close();
  });

  it('a hard-muted member cannot unmute (HARD_MUTED) until a host lifts it, even after reconnecting', async () => {
    const { id } = await ingest.createRoom('Hard mute room');
    const host = await join(id, 'host', 'Hanna');
    const token = await ingest.token(id, 'guest', 'Gina');
    let gina = await Bot.start({ url: ingest.url, token, name: 'Gina', webm: await botClip('Gina') });
    bots.push(gina);
    await waitFor(async () => (await paused(id, gina.peerId, 'mic')) === false, "Gina's microphone");
    const moderation = new ModerationClient(host);

    const told = moderated(gina.room);
    await moderation.mute(gina.peerId, 'mic', { hard: true });
    expect((await told)[0].action).toBe('hardMute');
    expect(await paused(id, gina.peerId, 'mic')).toBe(true);
    expect((await stagePeer(id, gina.peerId))?.hardMuted).toEqual(['mic']);
    const resume = () =>
      gina.room.request('stage:setProducerPaused', { producerId: gina.producerIds.audio, paused: false });
    expect((await refusal(resume())).code).toBe('HARD_MUTED');
    expect(await paused(id, gina.peerId, 'mic')).toBe(true);

    // The hard mute is in Redis: a new connection (reload, another tab) publishes muted and
    // still cannot unmute.
    await gina.stop();
    gina = await Bot.start({ url: ingest.url, token, name: 'Gina', webm: await botClip('Gina') });
    bots.push(gina);
    await waitFor(async () => (await paused(id, gina.peerId, 'mic')) === true, 'the new microphone paused');
    expect((await refusal(resume())).code).toBe('HARD_MUTED');

    const lifted = moderated(gina.room, (e) => e.action === 'liftHardMute');
    await moderation.liftHardMute(gina.peerId, 'mic');
    await lifted;
    // Lifting does not unmute: the member does.
    expect(await paused(id, gina.peerId, 'mic')).toBe(true);
    await resume();
    expect(await paused(id, gina.peerId, 'mic')).toBe(false);
    moderation.close();
  });

  it('co-hosts mute guests but not hosts or co-hosts; a host mutes everyone but themselves', async () => {
    const { id } = await ingest.createRoom('Mute rules');
    const hugo = await bot(id, 'host', 'Hugo');
    const cody = await bot(id, 'cohost', 'Cody');
    const gina = await bot(id, 'guest', 'Gina');
    const cora = await join(id, 'cohost', 'Cora');
    const host = await join(id, 'host', 'Hanna');
    for (const b of [hugo, cody, gina])
      await waitFor(
        async () => (await paused(id, b.peerId, 'mic')) === false,
        `${b.room.self.name} on stage`,
      );
    const byCohost = new ModerationClient(cora);
    const byHost = new ModerationClient(host);

    expect((await refusal(byCohost.mute(hugo.peerId, 'mic'))).code).toBe('FORBIDDEN');
    expect((await refusal(byCohost.mute(cody.peerId, 'mic'))).code).toBe('FORBIDDEN');
    expect((await refusal(byCohost.muteAll('mic'))).code).toBe('FORBIDDEN');
    expect(await paused(id, hugo.peerId, 'mic')).toBe(false);
    expect(await paused(id, cody.peerId, 'mic')).toBe(false);
    await byCohost.mute(gina.peerId, 'camera');
    expect(await paused(id, gina.peerId, 'camera')).toBe(true);

    // Everyone else: the other host and the co-host and guest too.
    expect(await byHost.muteAll('mic')).toBe(3);
    for (const b of [hugo, cody, gina]) expect(await paused(id, b.peerId, 'mic')).toBe(true);
    byCohost.close();
    byHost.close();
  });

  it('a member removed from the stage loses their producers; a co-host cannot end the broadcast', async () => {
    const { id } = await ingest.createRoom('Removal');
    const host = await join(id, 'host', 'Hanna');
    const cora = await join(id, 'cohost', 'Cora');
    const gina = await bot(id, 'guest', 'Gina');
    await waitFor(async () => (await stagePeer(id, gina.peerId))?.producers.length === 2, "Gina's producers");
    const moderation = new ModerationClient(host);
    await moderation.mute(gina.peerId, 'mic', { hard: true });

    const closed = nextEvent<[{ producerId: string; peerId: string }]>((l) => {
      host.socket.on('producer:closed', l);
      return () => host.socket.off('producer:closed', l);
    });
    await host.request('stage:demote', { peerId: gina.peerId });
    await closed;
    await waitFor(async () => (await stagePeer(id, gina.peerId)) === undefined, 'Gina off the stage');
    // Back in the audience, nothing of hers publishes; her hard mute went with the stage.
    const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`);
    expect(body.stage.flatMap((p) => p.producers).filter((p) => p.peerId === gina.peerId)).toEqual([]);
    expect((await refusal(moderation.mute(gina.peerId, 'mic'))).code).toBe('BAD_REQUEST');

    // Ending the broadcast (for everyone) is the host's alone, whatever state it is in.
    expect((await refusal(cora.request('broadcast:stop', {}))).code).toBe('FORBIDDEN');
    expect((await refusal(cora.request('broadcast:start', {}))).code).toBe('FORBIDDEN');
    moderation.close();
  });

  it('a guest moved to the audience while offline comes back later backstage, without the on-air place or the hard mute', async () => {
    const { id } = await ingest.createRoom('Offline demotion');
    const host = await join(id, 'host', 'Hanna');
    const hands = new HandsClient(host);
    const moderation = new ModerationClient(host);
    const token = await ingest.token(id, 'viewer', 'Olga');
    const reconnect = async (): Promise<Room> => {
      const room = await connect({ url: ingest.url, token, reconnect: false });
      clients.push(room);
      return room;
    };
    /** Olga raises a hand, the host invites her, she accepts: she is a guest on stage. */
    const promote = async (room: Room): Promise<void> => {
      const olga = new HandsClient(room);
      await olga.raise();
      const invited = nextEvent<[StageInvite]>((l) => olga.on('invited', l));
      await hands.invite(room.self.peerId);
      await invited;
      expect(await olga.accept()).toBe('guest');
      olga.close();
    };
    const redis = ingest.server.ctx.redis;
    const airField = (peerId: string) => redis.hget(`stagecast:room:${id}:air`, peerId);
    const hardMutedMic = (peerId: string) =>
      redis.sismember(`stagecast:room:${id}:hardmute`, `${peerId}:mic`);

    let olga = await reconnect();
    const peerId = olga.self.peerId;
    await promote(olga);
    await waitFor(async () => (await airField(peerId)) === '0', 'Olga backstage');
    await moderation.setOnAir(peerId, true);
    await moderation.mute(peerId, 'mic', { hard: true });
    await waitFor(async () => (await stagePeer(id, peerId))?.onAir === true, 'Olga on air');
    expect((await stagePeer(id, peerId))?.hardMuted).toEqual(['mic']);

    // Her connection drops; while she is away the host moves her back to the audience.
    olga.close();
    await waitFor(async () => (await stagePeer(id, peerId)) === undefined, 'Olga gone from the stage');
    await hands.demote(peerId);
    await waitFor(async () => (await airField(peerId)) === null, 'her on-air place dropped');
    expect(await hardMutedMic(peerId)).toBe(0);

    // She comes back as a viewer, is invited again later: a newcomer, backstage and free to talk.
    olga = await reconnect();
    expect(olga.self.role).toBe('viewer');
    await promote(olga);
    await waitFor(async () => (await airField(peerId)) !== null, 'her arrival on stage');
    expect(await airField(peerId)).toBe('0');
    expect(await hardMutedMic(peerId)).toBe(0);
    const back = await waitFor(() => stagePeer(id, peerId), 'Olga on stage again');
    expect(back.onAir).toBe(false);
    expect(back.hardMuted).toEqual([]);
    hands.close();
    moderation.close();
  });
});
