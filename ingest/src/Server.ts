import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { defaultOrigins, listenUrl, type IngestConfig } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { WorkerPool } from './media/WorkerPool.js';
import { RoomManager } from './rooms/RoomManager.js';
import { MediaLease } from './rooms/MediaLease.js';
import { RoomStore } from './rooms/RoomStore.js';
import { PresenceStore } from './rooms/PresenceStore.js';
import { RoomPurge } from './rooms/RoomPurge.js';
import { RoleService } from './rooms/RoleService.js';
import { TokenService } from './rooms/TokenService.js';
import { SessionRenewal } from './rooms/SessionRenewal.js';
import { IdentityCookie } from './rooms/IdentityCookie.js';
import { BanStore } from './moderation/BanStore.js';
import { Signaling } from './signaling/Signaling.js';
import { stageHandlers } from './rooms/stageHandlers.js';
import { StageNotifier } from './rooms/StageNotifier.js';
import { JoinSnapshots } from './rooms/JoinSnapshots.js';
import { roomHandlers } from './rooms/roomHandlers.js';
import type { IngestContext } from './core/context.js';
import type { StagecastServer } from './core/io.js';
import { parseTarget, Router, sendJson } from './http/router.js';
import { registerRoomRoutes } from './rooms/roomRoutes.js';
import { ApiAccess } from './rooms/ApiAccess.js';
import { registerStaticRoutes } from './http/staticFiles.js';
import { HlsOrigin } from './hls/HlsOrigin.js';
import { registerHlsRoutes } from './hls/hlsRoutes.js';
import { createMetrics, listenMetrics } from './http/metrics.js';
import { OriginPolicy } from './http/OriginPolicy.js';
import { checkReady } from './http/readiness.js';
import { Features } from './Features.js';
import { Webhooks } from './webhooks/Webhooks.js';
import { RateLimits } from './core/RateLimits.js';
import { notificationOptions, requestOptions, untilReady } from './core/redisConnections.js';

/** Socket.IO messages larger than this are refused (chat is 500 characters; SDP-free JSON is small). */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** The ingest server: one HTTP port for the API, Socket.IO, the UIs and the HLS origin. */
export class IngestServer {
  private closed = false;

  private constructor(
    readonly ctx: IngestContext,
    private readonly http: HttpServer,
    private readonly pool: WorkerPool,
    private readonly features: Features,
    private readonly redisClients: Redis[],
    private readonly metricsHttp: HttpServer | undefined,
    private readonly hls: HlsOrigin,
    private readonly webhooks: Webhooks,
  ) {}

  static async create(
    config: IngestConfig,
    logger: Logger = createLogger(config.logLevel),
  ): Promise<IngestServer> {
    const redis = new Redis(config.redisUrl, requestOptions(config.redisTimeoutMs));
    const pub = new Redis(config.redisUrl, notificationOptions());
    const sub = new Redis(config.redisUrl, notificationOptions());
    for (const client of [redis, pub, sub])
      client.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
    // A (P)SUBSCRIBE sent before ioredis is ready is lost when its ready check fails and it
    // reconnects; the adapter would then silently miss other processes' messages. Requests
    // fail instead of waiting while the request connection is not up.
    await Promise.all([redis, pub, sub].map((client) => untilReady(client, config.redisUrl)));
    const pool = await WorkerPool.create({
      numWorkers: config.numWorkers,
      rtcMinPort: config.rtcMinPort,
      rtcMaxPort: config.rtcMaxPort,
      logger,
    });
    const rooms = new RoomManager(
      pool,
      {
        listenIp: config.listenIp,
        announcedIp: config.announcedIp,
        maxStage: config.maxStage,
        limits: config.peerLimits,
      },
      logger,
    );
    pool.on('workerDied', () => {
      // Routers of a dead worker are closed by mediasoup; Room reacts to that and tells its clients.
      for (const room of rooms.all()) if (room.router?.closed) room.close('worker-died');
    });

    const http = createServer();
    const origins = new OriginPolicy(
      () => config.allowedOrigins ?? defaultOrigins(config, (http.address() as AddressInfo).port),
    );
    const io: StagecastServer = new SocketServer(http, {
      maxHttpBufferSize: MAX_MESSAGE_BYTES,
      // A page of another origin cannot open a connection (WebSocket handshakes ignore CORS).
      allowRequest: (req, done) => done(null, origins.allows(req.headers.origin)),
      cors: { origin: (origin, done) => done(null, origins.allows(origin)), credentials: false },
      adapter: createAdapter(pub, sub),
    });
    const media = new MediaLease(
      redis,
      {
        ttlMs: config.mediaLeaseMs,
        url: () =>
          config.instanceUrl?.replace(/\/$/, '') ??
          listenUrl(config.host, (http.address() as AddressInfo).port),
      },
      logger,
    );
    rooms.on('roomOpened', (room) =>
      room.once(
        'closed',
        () =>
          void media
            .release(room.id)
            .catch((error: unknown) =>
              logger.warn({ err: error, room: room.id }, 'media lease release failed'),
            ),
      ),
    );
    // Another process took the room meanwhile (renewals failed past the TTL): the stage here is
    // no longer on air, and its people reconnect to the owner.
    media.on('lost', (roomId) => rooms.get(roomId)?.close('worker-died'));
    const store = new RoomStore(redis, logger);
    const presence = new PresenceStore(redis, logger, config.presenceTtlMs);
    const webhooks = new Webhooks(redis, config, logger.child({ component: 'webhooks' }), {
      // Read when a request or delivery comes: the port is known once listening (0 asks for a free one).
      port: () => (http.address() as AddressInfo).port,
      publicUrl: config.publicUrl,
    });
    webhooks.watchStages(rooms);
    const ctx: IngestContext = {
      logger,
      io,
      redis,
      store,
      presence,
      rooms,
      media,
      roles: new RoleService(io, rooms, presence, logger),
      tokens: new TokenService(config, config.tokenTtlSeconds),
      bans: new BanStore(redis, logger),
      limits: new RateLimits(redis, config.limits, config.chat, logger),
      webhooks: webhooks.emitter,
    };
    const features = await Features.create(ctx, config);
    presence.startHeartbeat((roomId, peerIds) => {
      void features
        .onPresenceExpired(roomId, peerIds)
        .catch((error: unknown) =>
          logger.warn({ err: error, room: roomId }, 'clean-up after expired presence failed'),
        );
    });
    new StageNotifier(io, rooms);
    const snapshots = new JoinSnapshots(
      ctx,
      { maxStage: config.maxStage, publicUrl: config.publicUrl },
      features.snapshotProviders(),
    );
    new Signaling(
      ctx,
      config.limits.trustProxy,
      [roomHandlers(ctx.limits, snapshots), stageHandlers, ...features.handlerGroups()],
      (roomId) => features.onPresenceChange(roomId),
      config.maxStage,
      new SessionRenewal(ctx),
    );

    const router = new Router(logger);
    const metrics = createMetrics(rooms, pool);
    const access = new ApiAccess(config.apiSecret, store, ctx.limits, config.limits.trustProxy);
    router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { ok: true, workers: pool.size }));
    router.add('GET', '/readyz', async ({ res }) => {
      await checkReady(redis, () => pool.size);
      sendJson(res, 200, { ok: true });
    });
    router.add('GET', '/metrics', async (rc) => {
      await access.requireSecret(rc);
      rc.res.writeHead(200, { 'content-type': metrics.contentType });
      rc.res.end(await metrics.metrics());
    });
    registerRoomRoutes(
      router,
      ctx,
      access,
      { publicUrl: config.publicUrl, port: config.port, trustProxy: config.limits.trustProxy },
      new IdentityCookie(config.apiSecret),
      features.liveState(),
      features.restreamList(),
      (roomId) => features.onRoomDeleted(roomId),
      new RoomPurge(redis, { dataDir: config.dataDir, deleteRecordings: config.deleteRecordings }, logger),
    );
    features.registerRoutes(router, access);
    webhooks.registerRoutes(router, access);
    const hls = new HlsOrigin(config.dataDir, config.hls, logger.child({ component: 'hls' }));
    registerHlsRoutes(router, hls, config.dataDir, config.limits.trustProxy);
    // The deployment's origins (each process's STAGECAST_INSTANCE_URL among them, as the
    // README asks for several processes) are where a page may be sent to reach the stage.
    registerStaticRoutes(router, config.uiRoot, config.frameAncestors, config.allowedOrigins ?? []);
    http.on('request', (req, res) => {
      // Socket.IO answers its own path.
      if (req.url?.startsWith('/socket.io/')) return;
      // The API is for the apps and allowed origins; HLS and the apps' files stay open to all.
      // The path as routed (`/x/../api/join` is `/api/join`), not as sent.
      const path = parseTarget(req.url)?.pathname ?? '';
      if (path.startsWith('/api/') && origins.handleApi(req, res)) return;
      router.dispatch(req, res).then(
        (handled) => {
          if (!handled) sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
        },
        (error: unknown) => {
          logger.error({ err: error }, 'unhandled request error');
          if (!res.headersSent)
            sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => resolve());
    });
    const metricsHttp = config.metricsListen
      ? await listenMetrics(metrics, config.metricsListen.host, config.metricsListen.port)
      : undefined;
    const server = new IngestServer(ctx, http, pool, features, [redis, pub, sub], metricsHttp, hls, webhooks);
    try {
      // The RTMP front calls back on the loopback-reachable listen address.
      await features.start(listenUrl(config.host, server.port));
    } catch (error) {
      await server.close();
      throw error;
    }
    logger.info({ url: server.url }, 'ingest listening');
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Port of the separate `/metrics` listener, when `STAGECAST_METRICS_LISTEN` set one. */
  get metricsPort(): number | undefined {
    return (this.metricsHttp?.address() as AddressInfo | null | undefined)?.port;
  }

  /** Pids of the mediasoup workers (tests kill one to check recovery). */
  workerPids(): number[] {
    return this.pool.pids();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.io.local.disconnectSockets(true);
    // Disconnect handlers clean presence up in Redis; let them finish before Redis closes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    this.ctx.presence.stopHeartbeat();
    await this.features.close();
    await this.webhooks.close();
    this.ctx.rooms.closeAll();
    // Released now, not left to expire: the next stage join anywhere takes the room at once.
    await this.ctx.media.close();
    this.pool.close();
    this.hls.close();
    await new Promise<void>((resolve) => {
      void this.ctx.io.close(() => resolve());
    });
    this.http.closeAllConnections();
    this.metricsHttp?.close();
    this.metricsHttp?.closeAllConnections();
    // QUIT cannot be sent while Redis is away: then stop reconnecting without it.
    await Promise.all(this.redisClients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
