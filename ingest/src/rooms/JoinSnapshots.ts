import {
  can,
  DEFAULT_STAGE_ENTRY,
  type JoinSnapshot,
  type LayoutChoice,
  type PollsSnapshot,
} from '@stagecast/protocol';
import type { IngestContext, PeerSession } from '../core/context.js';
import { linkBase, roomLinks } from './links.js';

/** Parts of the join snapshot owned by other features (chat, hands, broadcast). */
export interface SnapshotProviders {
  chat: (roomId: string) => Promise<JoinSnapshot['chat']>;
  hands: (session: PeerSession) => Promise<JoinSnapshot['hands']>;
  live: (roomId: string) => Promise<JoinSnapshot['live']>;
  /** The layout hosts chose for the composite. */
  layout: (roomId: string) => Promise<LayoutChoice>;
  /** The Q&A as this person may see it. */
  questions: (session: PeerSession) => Promise<JoinSnapshot['questions']>;
  /** The open poll and the peer's own vote. */
  polls: (session: PeerSession) => Promise<PollsSnapshot>;
}

export interface JoinSnapshotSettings {
  /** Greatest number of people on stage, told to every client. */
  maxStage: number;
  /** Base of the viewer link hosts get; else the host the client connected to. */
  publicUrl: string | undefined;
}

/** What a client gets on `room:join`: the room, its stage, and each feature's state. */
export class JoinSnapshots {
  constructor(
    private readonly ctx: Pick<IngestContext, 'store' | 'presence'>,
    private readonly settings: JoinSnapshotSettings,
    private readonly providers: SnapshotProviders,
  ) {}

  async build(session: PeerSession): Promise<JoinSnapshot> {
    const { room, peer } = session;
    const [chat, hands, live, layout, viewers, questions, polls, record] = await Promise.all([
      this.providers.chat(room.id),
      this.providers.hands(session),
      this.providers.live(room.id),
      this.providers.layout(room.id),
      this.ctx.presence.countViewers(room.id),
      this.providers.questions(session),
      this.providers.polls(session),
      this.ctx.store.get(room.id),
    ]);
    const snapshot: JoinSnapshot = {
      self: peer.identity,
      room: { id: room.id, name: room.name },
      stage: room.stage(),
      activeSpeakerPeerId: room.activeSpeaker,
      live,
      chat,
      hands,
      audience: { viewers },
      maxStage: this.settings.maxStage,
      layout,
      questions,
      polls,
      stageEntry: record?.stageEntry ?? DEFAULT_STAGE_ENTRY,
    };
    if (can(peer.role, 'manageStage')) {
      const base = linkBase(this.settings.publicUrl, session.socket.handshake.headers, 'localhost');
      if (record) snapshot.viewerLink = roomLinks(base, record).viewer;
    }
    return snapshot;
  }
}
