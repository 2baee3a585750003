import type { IngestContext } from '../core/context.js';
import type { StagecastSocket } from '../core/io.js';

/** Below this, a token is not worth renewing: the connection ends with it. */
const MIN_RENEW_MS = 1000;

/**
 * Keeps a connected session's token fresh. Tokens are short-lived (`STAGECAST_TOKEN_TTL_S`),
 * so a link shared around admits new connections only for a while; a connected client is
 * sent a new token halfway through the current one's life (`session:token`) and reconnects
 * with it. A renewal is refused (and the connection closed) when the person was banned or
 * the link rotated meanwhile, in case the disconnection sent then did not reach this process.
 * When renewals keep failing (Redis unreachable), the connection ends as the token expires.
 */
export class SessionRenewal {
  constructor(private readonly ctx: Pick<IngestContext, 'tokens' | 'store' | 'bans' | 'logger'>) {}

  /** Starts renewing for the socket's session, whose current token expires at `expiresAt` (ms). */
  start(socket: StagecastSocket, expiresAt: number): void {
    let timer: NodeJS.Timeout | undefined;
    const schedule = (until: number) => {
      const msLeft = until - Date.now();
      timer = setTimeout(
        () => void (msLeft < MIN_RENEW_MS ? this.expire(socket) : renew(until)),
        Math.min(msLeft < MIN_RENEW_MS ? msLeft : msLeft / 2, 2 ** 31 - 1),
      );
      timer.unref();
    };
    const renew = async (until: number) => {
      try {
        const next = await this.renew(socket);
        if (next !== null) schedule(next);
      } catch (error) {
        this.ctx.logger.warn({ err: error, peer: socket.data.peerId }, 'token renewal failed; retrying');
        schedule(until);
      }
    };
    schedule(expiresAt);
    socket.once('disconnect', () => clearTimeout(timer));
  }

  /** Sends a fresh token and answers its expiry, or closes the session and answers null. */
  private async renew(socket: StagecastSocket): Promise<number | null> {
    // A client that went away before its connection was set up never gets a `disconnect`.
    if (!socket.connected) return null;
    const { roomId, peerId, name, tokenRole, link, gen } = socket.data;
    if (await this.ctx.bans.isBanned(roomId, peerId)) {
      this.close(socket, 'banned', 'You were removed from this room');
      return null;
    }
    if ((await this.ctx.store.generation(roomId, link)) !== gen) {
      this.close(
        socket,
        'link-rotated',
        'The link you joined with was replaced; ask the host for the new one',
      );
      return null;
    }
    const { token, expiresAt } = await this.ctx.tokens.sign({ roomId, role: tokenRole, name, gen, peerId });
    socket.emit('session:token', { token, expiresAt });
    return expiresAt;
  }

  private expire(socket: StagecastSocket): void {
    this.close(socket, 'token-expired', 'Your session expired; open the link again');
  }

  private close(
    socket: StagecastSocket,
    reason: 'banned' | 'link-rotated' | 'token-expired',
    message: string,
  ): void {
    socket.emit('room:closed', { reason, message });
    socket.disconnect(true);
  }
}
