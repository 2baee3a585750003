import type { IncomingHttpHeaders } from 'node:http';
import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { StagecastError } from '@stagecast/protocol';
import type { ChatSettings, LimitSettings, RateWindow } from './config.js';
import type { Logger } from './logger.js';

/** What is counted, and per what. */
export type LimitName =
  /** `POST /api/join`, per IP. */
  | 'join'
  /** Socket.IO connections, per IP. */
  | 'connect'
  /** Join snapshots (`room:join`), per peer. */
  | 'snapshot'
  /** Hand raises and lowers, per peer. */
  | 'hand'
  /** Cues, per room. */
  | 'cue'
  /** Stage moderation (mute, on air, stage entry), per host or co-host. */
  | 'stageControl'
  /** Wrong API secrets, per IP. */
  | 'secretFailure'
  /** Chat messages, per person. */
  | 'chat'
  /** Chat messages, per IP and room: fresh identities from one address share it. */
  | 'chatIp'
  /** Questions asked, per person. */
  | 'question'
  /** Upvotes given or taken back, per person. */
  | 'upvote'
  /** Poll votes, creations and closings, per person. */
  | 'poll'
  /** Reactions, per person. */
  | 'reaction';

/** Q&A limits: a question is worth more than a chat line, so fewer; a vote is a click. */
export const QUESTION_RATE: RateWindow = { points: 5, windowSeconds: 60 };
export const UPVOTE_RATE: RateWindow = { points: 60, windowSeconds: 60 };

const MESSAGES: Record<LimitName, string> = {
  join: 'Too many joins from your network; try again shortly',
  connect: 'Too many connections from your network; try again shortly',
  snapshot: 'You are rejoining too often; try again shortly',
  hand: 'You are raising and lowering your hand too fast',
  cue: 'Too many cues in this room; wait a moment',
  stageControl: 'You are changing the stage too fast; try again shortly',
  secretFailure: 'Too many wrong API secrets from your address; try again later',
  chat: 'You are sending messages too fast',
  chatIp: 'Too many messages from your network in this room; try again shortly',
  question: 'You are asking questions too fast; try again shortly',
  upvote: 'You are voting too fast; try again shortly',
  poll: 'You are voting too fast',
  reaction: 'Too many reactions; this one was dropped',
};

/** Votes (changing one's vote included): 20 per 10 s per person. */
export const POLL_RATE: RateWindow = { points: 20, windowSeconds: 10 };
/** Reactions: 5 a second on average with bursts of 10, per person. */
export const REACTION_RATE: RateWindow = { points: 10, windowSeconds: 2 };

/**
 * The rate limits of every feature, counted in Redis so that all ingest processes share them.
 *
 * When Redis cannot answer, each limiter falls back to an in-memory one of the same size (the
 * library's documented "insurance" strategy): every process then limits on its own, so abuse
 * stays bounded and nobody is locked out by an outage. Anything else the store throws lets the
 * request through with a warning: a limiter must never be the reason ingest stops serving.
 */
export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterAbstract | BurstyRateLimiter>;
  private readonly secretFailures: RateLimiterRedis;

  constructor(
    redis: Redis,
    settings: LimitSettings,
    chat: ChatSettings,
    private readonly logger: Logger,
  ) {
    const windowed = (
      name: LimitName,
      { points, windowSeconds }: RateWindow,
      prefix = `stagecast:rate:${name}`,
    ): RateLimiterRedis =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: prefix,
        points,
        duration: windowSeconds,
        // Without this, ioredis queues commands while it reconnects and requests would hang.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: prefix, points, duration: windowSeconds }),
      });
    // A steady rate per second plus a per-minute allowance for crowds arriving at once (an
    // office behind one NAT opening the same link).
    const bursty = (name: 'join' | 'connect', { perSecond, burst }: LimitSettings['join']) =>
      new BurstyRateLimiter(
        windowed(name, { points: perSecond, windowSeconds: 1 }),
        // Its own keys: both count the same client over different windows.
        windowed(name, { points: burst, windowSeconds: 60 }, `stagecast:rate:${name}:burst`),
      );
    this.secretFailures = windowed('secretFailure', settings.secretFailure);
    this.limiters = {
      join: bursty('join', settings.join),
      connect: bursty('connect', settings.connect),
      snapshot: windowed('snapshot', settings.snapshot),
      hand: windowed('hand', settings.hand),
      cue: windowed('cue', settings.cue),
      stageControl: windowed('stageControl', settings.stageControl),
      secretFailure: this.secretFailures,
      chat: windowed('chat', { points: chat.ratePoints, windowSeconds: chat.rateWindowSeconds }),
      chatIp: windowed('chatIp', settings.chatIp),
      question: windowed('question', QUESTION_RATE),
      upvote: windowed('upvote', UPVOTE_RATE),
      poll: windowed('poll', POLL_RATE),
      reaction: windowed('reaction', REACTION_RATE),
    };
  }

  /** Counts one event; throws RATE_LIMITED (with `retryAfterMs`) when over the limit. */
  async consume(name: LimitName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (error) {
      this.refuse(name, key, error);
    }
  }

  /** Gives back a point counted by {@link consume} whose event did not happen after all. */
  async refund(name: Exclude<LimitName, 'join' | 'connect'>, key: string): Promise<void> {
    const limiter = this.limiters[name];
    if (limiter instanceof BurstyRateLimiter) return;
    await limiter.reward(key).catch((error: unknown) => {
      this.logger.warn({ err: error, limit: name }, 'rate limit refund failed');
    });
  }

  /**
   * Refuses an address that already spent its wrong-secret attempts, whatever secret it sends
   * now: answering a right secret differently would let a guesser carry on.
   */
  async checkSecretFailures(ip: string): Promise<void> {
    let res: RateLimiterRes | null;
    try {
      res = await this.secretFailures.get(ip);
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit store unavailable; not limiting API secrets');
      return;
    }
    if (res && res.consumedPoints >= this.secretFailures.points && res.msBeforeNext > 0) {
      throw rateLimited('secretFailure', res.msBeforeNext);
    }
  }

  /** Counts a wrong secret; the attempt that uses the last one up is already refused. */
  recordSecretFailure(ip: string): Promise<void> {
    return this.consume('secretFailure', ip);
  }

  private refuse(name: LimitName, key: string, error: unknown): void {
    if (error instanceof RateLimiterRes) throw rateLimited(name, error.msBeforeNext);
    this.logger.warn({ err: error, limit: name, key }, 'rate limit store unavailable; letting it through');
  }
}

function rateLimited(name: LimitName, msBeforeNext: number): StagecastError {
  return new StagecastError('RATE_LIMITED', MESSAGES[name], Math.max(1, Math.ceil(msBeforeNext)));
}

/**
 * The client's address: the connection's remote address, or, behind `trustProxy` reverse
 * proxies, the `X-Forwarded-For` entry the outermost trusted proxy wrote. Entries further left
 * come from the client and could be anything.
 */
export function clientIp(
  req: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } },
  trustProxy: number,
): string {
  const remote = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy === 0) return normalizeIp(remote);
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const forwarded = hops[hops.length - trustProxy] ?? hops[0];
  return normalizeIp(forwarded ?? remote);
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
