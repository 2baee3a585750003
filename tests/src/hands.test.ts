import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { HandEntry, Role, StageInvite } from '@stagecast/protocol';
import { HandsClient, StagecastClientError, connect, type InviteEnded, type Room } from '@stagecast/sdk';
import { TestIngest } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { produceDummy } from './helpers/stage.js';

let ingest: TestIngest;
let redis: Redis;
const servers: TestIngest[] = [];
const rooms: string[] = [];
const clients: Room[] = [];

beforeAll(async () => {
  // Room for the host and one guest: enough to show STAGE_FULL.
  ingest = await TestIngest.start({ maxStage: 2 });
  servers.push(ingest);
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const id of rooms) {
    await ingest.api('DELETE', `/api/rooms/${id}`);
    const keys = await redis.keys(`stagecast:room:${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  for (const server of servers) await server.close();
  await redis?.quit();
});

/** Starts a server whose feature options come from `env` (read once, when it starts). */
async function startWithEnv(env: Record<string, string>): Promise<TestIngest> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const server = await TestIngest.start();
    servers.push(server);
    return server;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function newRoom(server: TestIngest, name: string): Promise<string> {
  const { id } = await server.createRoom(name);
  rooms.push(id);
  return id;
}

async function join(server: TestIngest, roomId: string, role: Role, name: string): Promise<Room> {
  const room = await server.join(roomId, role, name);
  clients.push(room);
  return room;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof StagecastClientError) return error.code;
    throw error;
  }
}

const names = (queue: readonly HandEntry[]) => queue.map((e) => `${e.position}:${e.name}`);

describe('raise hand', () => {
  it('keeps a FIFO queue with positions, for managers and raisers', async () => {
    const id = await newRoom(ingest, 'Queue');
    const host = new HandsClient(await join(ingest, id, 'host', 'Host'));
    const viewers = await Promise.all(
      ['A', 'B', 'C', 'D', 'E'].map(async (n) => new HandsClient(await join(ingest, id, 'viewer', n))),
    );

    const full = nextEvent<[HandEntry[]]>(
      (l) => host.on('queue', l),
      (q) => q.length === 5,
    );
    for (const [i, v] of viewers.entries()) {
      const entry = await v.raise(i === 1 ? 'May I ask about pricing?' : undefined);
      expect(entry.position).toBe(i + 1);
    }
    const queue = await full;
    expect(names(queue[0])).toEqual(['1:A', '2:B', '3:C', '4:D', '5:E']);
    expect(queue[0][1]?.question).toBe('May I ask about pricing?');

    // Raising again keeps the place.
    expect((await viewers[0]!.raise()).position).toBe(1);
    expect((await viewers[2]!.raise('new question')).position).toBe(3);

    // B lowers: C, D and E move up and are told so.
    const moved = viewers.slice(2).map((v, i) =>
      nextEvent<[HandEntry | null]>(
        (l) => v.on('mine', l),
        (e) => e?.position === i + 2,
      ),
    );
    const bLowered = nextEvent<[HandEntry | null]>(
      (l) => viewers[1]!.on('mine', l),
      (e) => e === null,
    );
    await viewers[1]!.lower();
    await Promise.all([...moved, bLowered]);
    expect(viewers[4]!.mine?.position).toBe(4);

    // Snapshots: managers get the queue, viewers only their own entry.
    const lateHost = new HandsClient(await join(ingest, id, 'cohost', 'Late host'));
    expect(names(lateHost.queue)).toEqual(['1:A', '2:C', '3:D', '4:E']);
    expect(lateHost.queue[1]?.question).toBe('new question');
    const lateViewer = new HandsClient(await join(ingest, id, 'viewer', 'F'));
    expect(lateViewer.queue).toEqual([]);
    expect(lateViewer.mine).toBeNull();

    const audience = await host.listAudience();
    expect(
      audience
        .filter((m) => m.handRaised)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['A', 'C', 'D', 'E']);
    expect(audience).toHaveLength(6);
    expect(await refusal(lateViewer.listAudience())).toBe('FORBIDDEN');

    // Only viewers raise; only managers dismiss.
    expect(await refusal(host.raise())).toBe('FORBIDDEN');
    expect(await refusal(lateViewer.dismiss(viewers[0]!.mine?.peerId ?? ''))).toBe('FORBIDDEN');
    expect(await refusal(lateViewer.lowerAll())).toBe('FORBIDDEN');
    expect(await refusal(viewers[0]!.raise('x'.repeat(201)))).toBe('BAD_REQUEST');

    const dismissed = nextEvent<[HandEntry | null]>(
      (l) => viewers[0]!.on('mine', l),
      (e) => e === null,
    );
    await host.dismiss(queue[0][0]!.peerId);
    await dismissed;
    expect(await refusal(host.dismiss(queue[0][0]!.peerId))).toBe('NOT_FOUND');

    const allDown = viewers.slice(2).map((v) =>
      nextEvent<[HandEntry | null]>(
        (l) => v.on('mine', l),
        (e) => e === null,
      ),
    );
    const empty = nextEvent<[HandEntry[]]>(
      (l) => host.on('queue', l),
      (q) => q.length === 0,
    );
    await host.lowerAll();
    await Promise.all([...allDown, empty]);
  });
});

describe('stage invitations', () => {
  it('invite → decline; only the invitee can answer; bad targets are refused', async () => {
    const id = await newRoom(ingest, 'Decline');
    const hostRoom = await join(ingest, id, 'host', 'Host');
    const host = new HandsClient(hostRoom);
    const viewerRoom = await join(ingest, id, 'viewer', 'Shy');
    const viewer = new HandsClient(viewerRoom);
    const other = new HandsClient(await join(ingest, id, 'viewer', 'Nosy'));

    expect(await refusal(other.invite(viewerRoom.self.peerId))).toBe('FORBIDDEN');
    expect(await refusal(host.invite('nobody'))).toBe('NOT_FOUND');
    expect(await refusal(host.invite(hostRoom.self.peerId))).toBe('BAD_REQUEST');

    const invited = nextEvent<[StageInvite]>((l) => viewer.on('invited', l));
    const invite = await host.invite(viewerRoom.self.peerId);
    expect(invite.from.peerId).toBe(hostRoom.self.peerId);
    expect((await invited)[0]).toEqual(invite);
    expect(host.sentInvites).toEqual([invite]);

    expect(await refusal(other.accept(invite.inviteId))).toBe('NO_INVITE');
    const endedForHost = nextEvent<[InviteEnded]>((l) => host.on('inviteEnded', l));
    const endedForViewer = nextEvent<[InviteEnded]>((l) => viewer.on('inviteEnded', l));
    await viewer.decline();
    expect((await endedForHost)[0]).toEqual({
      inviteId: invite.inviteId,
      peerId: viewerRoom.self.peerId,
      outcome: 'declined',
    });
    expect((await endedForViewer)[0].outcome).toBe('declined');
    expect(viewerRoom.role).toBe('viewer');
    expect(await refusal(viewer.accept(invite.inviteId))).toBe('NO_INVITE');
    expect(host.sentInvites).toEqual([]);
  });

  it('invite → accept → guest publishes; demote closes the media; leave stage', async () => {
    const id = await newRoom(ingest, 'Accept');
    const hostRoom = await join(ingest, id, 'host', 'Host');
    const host = new HandsClient(hostRoom);
    const guestRoom = await join(ingest, id, 'viewer', 'Guest');
    const guest = new HandsClient(guestRoom);
    const peerId = guestRoom.self.peerId;

    expect(await refusal(guestRoom.request('stage:createTransport', { direction: 'send' }))).toBe(
      'FORBIDDEN',
    );
    // A client cannot promote itself: no invitation, no stage.
    expect(
      await refusal(guestRoom.request('stage:respondInvite', { inviteId: 'made-up', accept: true })),
    ).toBe('NO_INVITE');
    expect(await refusal(guest.leaveStage())).toBe('BAD_REQUEST');

    await guest.raise('let me in');
    const invited = nextEvent<[StageInvite]>((l) => guest.on('invited', l));
    await host.invite(peerId);
    await invited;
    const promoted = nextEvent<[Role, string]>((l) => guestRoom.on('roleChanged', l));
    const handDown = nextEvent<[HandEntry | null]>(
      (l) => guest.on('mine', l),
      (e) => e === null,
    );
    const accepted = nextEvent<[InviteEnded]>((l) => host.on('inviteEnded', l));
    expect(await guest.accept()).toBe('guest');
    expect(await promoted).toEqual(['guest', 'invite-accepted']);
    await handDown;
    expect((await accepted)[0].outcome).toBe('accepted');
    expect(host.queue).toEqual([]);

    const transport = await guestRoom.request('stage:createTransport', { direction: 'send' });
    expect(transport.id).toBeTruthy();
    const producerId = await produceDummy(guestRoom);
    const room = ingest.server.ctx.rooms.get(id);
    expect(room?.findProducer(producerId)).toBeTruthy();

    // Stage max is 2 (host + guest): nobody else can be invited.
    const third = await join(ingest, id, 'viewer', 'Third');
    expect(await refusal(host.invite(third.self.peerId))).toBe('STAGE_FULL');
    expect(await refusal(host.demote(hostRoom.self.peerId))).toBe('FORBIDDEN');
    expect(await refusal(host.demote(third.self.peerId))).toBe('BAD_REQUEST');
    expect(await refusal(guest.demote(peerId))).toBe('FORBIDDEN');

    const demoted = nextEvent<[Role, string]>((l) => guestRoom.on('roleChanged', l));
    await host.demote(peerId);
    expect(await demoted).toEqual(['viewer', 'demoted']);
    expect(room?.findProducer(producerId)).toBeUndefined();
    const peer = room?.peers.get(peerId);
    expect(peer?.producers.size).toBe(0);
    expect(peer?.transports.size).toBe(0);
    expect(await refusal(guestRoom.request('stage:createTransport', { direction: 'send' }))).toBe(
      'FORBIDDEN',
    );
    expect(await refusal(guestRoom.request('stage:createPlainTransport', {}))).toBe('FORBIDDEN');

    // Invited again, then steps down on their own.
    const again = nextEvent<[StageInvite]>((l) => guest.on('invited', l));
    await host.invite(peerId);
    await again;
    expect(await guest.accept()).toBe('guest');
    const left = nextEvent<[Role, string]>((l) => guestRoom.on('roleChanged', l));
    expect(await guest.leaveStage()).toBe('viewer');
    expect(await left).toEqual(['viewer', 'left-stage']);
  });

  it('re-checks the stage size when an invitation is accepted', async () => {
    const id = await newRoom(ingest, 'Full');
    const host = new HandsClient(await join(ingest, id, 'host', 'Host'));
    const a = await join(ingest, id, 'viewer', 'A');
    const b = await join(ingest, id, 'viewer', 'B');
    const inviteA = await host.invite(a.self.peerId);
    const inviteB = await host.invite(b.self.peerId);
    expect(await new HandsClient(a).accept(inviteA.inviteId)).toBe('guest');
    expect(await refusal(new HandsClient(b).accept(inviteB.inviteId))).toBe('STAGE_FULL');
    expect(b.role).toBe('viewer');
  });

  it('an invitation expires; accepting it later gives INVITE_EXPIRED', async () => {
    const server = await startWithEnv({ STAGECAST_INVITE_TTL_MS: '400' });
    const id = await newRoom(server, 'Expiry');
    const host = new HandsClient(await join(server, id, 'host', 'Host'));
    const viewerRoom = await join(server, id, 'viewer', 'Slow');
    const viewer = new HandsClient(viewerRoom);
    const forHost = nextEvent<[InviteEnded]>((l) => host.on('inviteEnded', l));
    const forViewer = nextEvent<[InviteEnded]>((l) => viewer.on('inviteEnded', l));
    const invite = await host.invite(viewerRoom.self.peerId);
    expect((await forHost)[0]).toEqual({
      inviteId: invite.inviteId,
      peerId: viewerRoom.self.peerId,
      outcome: 'expired',
    });
    expect((await forViewer)[0].outcome).toBe('expired');
    expect(viewer.pendingInvite).toBeNull();
    expect(await refusal(viewer.accept(invite.inviteId))).toBe('INVITE_EXPIRED');
    expect(viewerRoom.role).toBe('viewer');
  });

  it('an open invitation survives a page reload: the new connection gets it in its snapshot', async () => {
    const id = await newRoom(ingest, 'Reload');
    const host = new HandsClient(await join(ingest, id, 'host', 'Host'));
    const token = await ingest.token(id, 'viewer', 'Reloader');
    const before = await connect({ url: ingest.url, token, reconnect: false });
    const invite = await host.invite(before.self.peerId);
    before.close();
    const after = await connect({ url: ingest.url, token, reconnect: false });
    clients.push(after);
    const hands = new HandsClient(after);
    expect(hands.pendingInvite?.inviteId).toBe(invite.inviteId);
    expect(await hands.accept()).toBe('guest');
    // Answered: a later connection is not asked again.
    const again = await connect({ url: ingest.url, token, reconnect: false });
    clients.push(again);
    expect(new HandsClient(again).pendingInvite).toBeNull();
  });

  it('a viewer who leaves and does not come back loses their hand after the grace time', async () => {
    const server = await startWithEnv({ STAGECAST_HAND_GRACE_MS: '300' });
    const id = await newRoom(server, 'Grace');
    const host = new HandsClient(await join(server, id, 'host', 'Host'));
    const stay = new HandsClient(await join(server, id, 'viewer', 'Stay'));
    const goRoom = await join(server, id, 'viewer', 'Go');
    await new HandsClient(goRoom).raise();
    await stay.raise();
    const moved = nextEvent<[HandEntry | null]>(
      (l) => stay.on('mine', l),
      (e) => e?.position === 1,
    );
    const queue = nextEvent<[HandEntry[]]>(
      (l) => host.on('queue', l),
      (q) => q.length === 1,
    );
    goRoom.close();
    await moved;
    expect(names((await queue)[0])).toEqual(['1:Stay']);
  });
});
