import type { Redis } from 'ioredis';
import { StagecastError } from '@stagecast/protocol';
import type { IngestContext } from './core/context.js';
import type { HandlerGroup } from './core/requests.js';
import type { SnapshotProviders } from './rooms/JoinSnapshots.js';
import type { LiveStateSource } from './rooms/roomRoutes.js';
import type { Router } from './http/router.js';
import type { ApiAccess } from './rooms/ApiAccess.js';
import type { IngestConfig } from './core/config.js';
import { ChatService } from './chat/ChatService.js';
import { HandService } from './hands/HandService.js';
import { StagePromotion } from './hands/StagePromotion.js';
import { AudienceService } from './hands/AudienceService.js';
import { chatHandlers } from './chat/chatHandlers.js';
import { ModerationService } from './moderation/ModerationService.js';
import { moderationHandlers } from './moderation/moderationHandlers.js';
import { registerModerationRoutes } from './moderation/moderationRoutes.js';
import { registerChatRoutes } from './chat/chatRoutes.js';
import { handHandlers } from './hands/handHandlers.js';
import { BroadcastService } from './broadcast/BroadcastService.js';
import { CompositorBridge } from './broadcast/CompositorBridge.js';
import { broadcastHandlers } from './broadcast/broadcastHandlers.js';
import { registerBroadcastRoutes } from './broadcast/broadcastRoutes.js';
import { LayoutService } from './broadcast/LayoutService.js';
import { LayoutStore } from './broadcast/LayoutStore.js';
import { ProgressStore } from './broadcast/ProgressStore.js';
import { notificationOptions } from './core/redisConnections.js';
import { QuestionService } from './questions/QuestionService.js';
import { QuestionStore } from './questions/QuestionStore.js';
import { questionHandlers } from './questions/questionHandlers.js';
import { registerQuestionRoutes } from './questions/questionRoutes.js';
import { PollService } from './polls/PollService.js';
import { pollHandlers } from './polls/pollHandlers.js';
import { registerPollRoutes } from './polls/pollRoutes.js';
import { ReactionService } from './reactions/ReactionService.js';
import { reactionHandlers } from './reactions/reactionHandlers.js';
import { CueService } from './cues/CueService.js';
import { cueHandlers } from './cues/cueHandlers.js';
import { registerCueRoutes } from './cues/cueRoutes.js';
import { StageControl } from './stage/StageControl.js';
import { stageControlHandlers } from './stage/stageControlHandlers.js';
import { registerStageControlRoutes } from './stage/stageControlRoutes.js';
import { RestreamService } from './restream/RestreamService.js';
import { restreamHandlers } from './restream/restreamHandlers.js';
import { registerRestreamRoutes } from './restream/restreamRoutes.js';
import type { RestreamDestination } from '@stagecast/protocol';
import { Ingress } from './ingress/Ingress.js';

/** The settings the features use. */
export type FeatureSettings = Pick<
  IngestConfig,
  | 'chat'
  | 'hands'
  | 'broadcast'
  | 'maxStage'
  | 'redisUrl'
  | 'redisTimeoutMs'
  | 'listenIp'
  | 'publicUrl'
  | 'port'
  | 'limits'
  | 'host'
  | 'dataDir'
  | 'rtmpPort'
  | 'rtmpPublicUrl'
>;

/**
 * The services layered on the stage: chat, hands and promotion, broadcast. Each contributes
 * request handlers, parts of the join snapshot, REST routes and a close step.
 */
export class Features {
  private readonly chat: ChatService;
  private readonly hands: HandService;
  private readonly promotion: StagePromotion;
  private readonly audience: AudienceService;
  private readonly moderation: ModerationService;
  private readonly questions: QuestionService;
  private readonly polls: PollService;
  private readonly reactions: ReactionService;
  private readonly stageControl: StageControl;
  /** WHIP and RTMP publishers on the stage. */
  private readonly ingress: Ingress;
  /** Where links point (see `STAGECAST_PUBLIC_URL`). */
  private readonly publicUrl: string | undefined;
  private readonly port: number;

  private constructor(
    private readonly ctx: IngestContext,
    settings: FeatureSettings,
    private readonly broadcast: BroadcastService,
    private readonly progress: ProgressStore,
    private readonly layouts: LayoutService,
    private readonly bridge: CompositorBridge,
    private readonly bridgeSub: Redis,
    private readonly cues: CueService,
    private readonly restreams: RestreamService,
    questionStore: QuestionStore,
  ) {
    this.publicUrl = settings.publicUrl;
    this.port = settings.port;
    // Services do not know each other's owners: cross-service steps are wired here as callbacks.
    this.hands = new HandService(ctx, settings.hands, (roomId, peerId) =>
      this.promotion.cancelFor(roomId, peerId),
    );
    this.audience = new AudienceService(ctx, this.hands.queue);
    this.promotion = new StagePromotion(
      ctx,
      this.hands,
      { inviteTtlMs: settings.hands.inviteTtlMs, maxStage: settings.maxStage },
      (roomId) => this.audience.changed(roomId),
    );
    this.chat = new ChatService(ctx);
    this.polls = new PollService(ctx);
    this.reactions = new ReactionService(ctx);
    // Who is on air is part of the compositor's stage snapshot.
    this.stageControl = new StageControl(ctx, (roomId) => bridge.stageChanged(roomId));
    this.moderation = new ModerationService(ctx, async (roomId, peerId) => {
      // A banned guest must not keep a promotion that would outlive the ban.
      await ctx.presence.setRoleOverride(roomId, peerId, 'viewer');
      await this.hands.remove(roomId, peerId);
      await this.promotion.cancelFor(roomId, peerId);
      // Nor keep an on-air place or hard mutes for a later return.
      await this.stageControl.store.forget(roomId, peerId);
    });
    this.ingress = new Ingress(
      ctx,
      {
        maxStage: settings.maxStage,
        trustProxy: settings.limits.trustProxy,
        rtmp: {
          port: settings.rtmpPort,
          host: settings.host,
          dataDir: settings.dataDir,
          publicUrl: settings.rtmpPublicUrl,
          httpPublicUrl: settings.publicUrl,
        },
      },
      (roomId) => this.audience.changed(roomId),
    );
    this.questions = new QuestionService(ctx, questionStore, {
      mutedForMs: (roomId, peerId) => this.chat.store.mutedForMs(roomId, peerId),
      ban: (roomId, by, peerId, reason) => this.moderation.ban(roomId, by, peerId, reason),
      // The lower-third travels with the stage snapshot, sent by the process holding the stage.
      lowerThirdChanged: (roomId) => {
        bridge.stageChanged(roomId);
        ctx.io.serverSideEmit('layoutChanged', roomId);
      },
    });
  }

  static async create(ctx: IngestContext, settings: FeatureSettings): Promise<Features> {
    const progress = new ProgressStore(ctx.redis, ctx.logger);
    const broadcast = await BroadcastService.create(ctx, progress, {
      ...settings.broadcast,
      redisUrl: settings.redisUrl,
      redisTimeoutMs: settings.redisTimeoutMs,
      maxStage: settings.maxStage,
    });
    const layoutStore = new LayoutStore(ctx.redis, ctx.logger);
    const cues = new CueService(ctx, (roomId) => broadcast.live(roomId));
    const questionStore = new QuestionStore(ctx.redis, ctx.logger);
    const restreams = new RestreamService(ctx, (roomId) => broadcast.live(roomId));
    const bridgeSub = ctx.redis.duplicate(notificationOptions());
    bridgeSub.on('error', (error) => ctx.logger.warn({ err: error }, 'compositor channel error'));
    const bridge = new CompositorBridge({
      rooms: ctx.rooms,
      media: ctx.media,
      store: ctx.store,
      layouts: layoutStore,
      lowerThird: (roomId) => questionStore.lowerThird(roomId),
      pub: ctx.redis,
      sub: bridgeSub,
      listenIp: settings.listenIp,
      onEnded: (msg) =>
        void broadcast
          .onEnded(msg)
          .catch((error: unknown) => ctx.logger.error({ err: error }, 'ending a broadcast failed')),
      onHello: (roomId) =>
        void cues
          .resend(roomId)
          .catch((error: unknown) => ctx.logger.warn({ err: error, room: roomId }, 'resending cues failed')),
      onRestream: (msg) =>
        void restreams
          .onStatus(msg.roomId)
          .catch((error: unknown) =>
            ctx.logger.warn({ err: error, room: msg.roomId }, 'restream status relay failed'),
          ),
      logger: ctx.logger.child({ component: 'compositor-bridge' }),
    });
    // The snapshot carries the choice: a new choice is a stage change for the compositor.
    const layouts = new LayoutService(ctx, layoutStore, (roomId) => bridge.stageChanged(roomId));
    await bridge.start();
    return new Features(
      ctx,
      settings,
      broadcast,
      progress,
      layouts,
      bridge,
      bridgeSub,
      cues,
      restreams,
      questionStore,
    );
  }

  handlerGroups(): HandlerGroup[] {
    return [
      chatHandlers(this.chat),
      moderationHandlers(this.moderation, this.ctx.store, this.publicUrl),
      handHandlers(this.hands, this.promotion, this.audience, this.ctx.limits),
      broadcastHandlers(this.broadcast, this.layouts),
      questionHandlers(this.questions),
      pollHandlers(this.polls, this.ctx.limits),
      reactionHandlers(this.reactions),
      cueHandlers(this.cues),
      stageControlHandlers(this.stageControl, this.ctx.limits),
      restreamHandlers(this.restreams),
    ];
  }

  snapshotProviders(): SnapshotProviders {
    return {
      chat: (roomId) => this.chat.state(roomId),
      hands: async (session) => ({
        ...(await this.hands.snapshot(session.room.id, session.peer.identity)),
        invite: await this.promotion.openInviteFor(session.room.id, session.peer.identity.peerId),
      }),
      live: (roomId) => this.broadcast.live(roomId),
      layout: (roomId) => this.layouts.get(roomId),
      questions: (session) => this.questions.state(session.room.id, session.peer.identity),
      polls: (session) => this.polls.snapshot(session.room.id, session.peer.identity),
    };
  }

  /** For REST: while live, with the picture on air, speed and quality the compositor reported. */
  liveState(): LiveStateSource {
    return (roomId) => this.broadcast.liveOnAir(roomId);
  }

  /** For REST: a room's restream destinations with their status, keys masked. */
  restreamList(): (roomId: string) => Promise<RestreamDestination[]> {
    return (roomId) => this.restreams.list(roomId);
  }

  /**
   * A deleted room's broadcast ends (ENDLIST, recording) instead of running on with nobody;
   * its layout choice and last figures go (a room is never recreated under the same id).
   */
  async onRoomDeleted(roomId: string): Promise<void> {
    await this.broadcast.stop(roomId).catch((error: unknown) => {
      if (!(error instanceof StagecastError && error.code === 'NOT_LIVE')) throw error;
    });
    await Promise.all([
      this.layouts.delete(roomId),
      this.progress.delete(roomId),
      this.questions.delete(roomId),
    ]);
    await this.broadcast.removeJobs(roomId);
  }

  onPresenceChange(roomId: string): void {
    this.audience.changed(roomId);
  }

  /**
   * Peers whose ingest process stopped refreshing their presence (it crashed) are gone: no
   * `disconnect` will ever run for them here, so their hands and invitations go now, as after
   * a departure, and the audience count follows.
   */
  async onPresenceExpired(roomId: string, peerIds: string[]): Promise<void> {
    for (const peerId of peerIds) {
      await this.hands.remove(roomId, peerId);
      await this.promotion.cancelFor(roomId, peerId);
    }
    this.audience.changed(roomId);
  }

  registerRoutes(router: Router, access: ApiAccess): void {
    registerChatRoutes(router, access, this.chat);
    registerModerationRoutes(router, this.moderation, access, {
      publicUrl: this.publicUrl,
      port: this.port,
    });
    registerBroadcastRoutes(router, access, this.broadcast, this.layouts);
    registerQuestionRoutes(router, access, this.questions);
    registerPollRoutes(router, access, this.polls);
    registerCueRoutes(router, access, this.cues);
    registerStageControlRoutes(router, access, this.stageControl);
    registerRestreamRoutes(router, access, this.restreams);
    this.ingress.registerRoutes(router, access);
  }

  /** Starts what needs the HTTP server listening at `httpBase` (the RTMP front's callbacks). */
  async start(httpBase: string): Promise<void> {
    await this.ingress.start(httpBase);
  }

  /** Stops local timers and connections; everything else lives in Redis and outlives this process. */
  async close(): Promise<void> {
    await this.ingress.close();
    this.audience.close();
    this.hands.close();
    this.promotion.close();
    this.polls.stop();
    this.reactions.close();
    this.bridge.close();
    await this.bridgeSub.quit().catch(() => undefined);
    await this.broadcast.close();
  }
}
