import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { isRole, StagecastError, type Role, type TokenClaims } from '@stagecast/protocol';

/** Default lifetime of a token made from a role link. */
export const DEFAULT_TOKEN_TTL_SECONDS = 6 * 60 * 60;
const MAX_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Signs and verifies room tokens: HS256 JWTs bound to one room, with role, name and `exp`. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(opts: {
    roomId: string;
    role: Role;
    name: string;
    peerId?: string;
    ttlSeconds?: number;
  }): Promise<string> {
    const ttl = Math.min(opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, MAX_TTL_SECONDS);
    return new SignJWT({ room: opts.roomId, role: opts.role, name: opts.name })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(opts.peerId ?? randomUUID())
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(this.key);
  }

  /** Verifies signature, expiry and (when given) the room. Throws TOKEN_INVALID, TOKEN_EXPIRED or WRONG_ROOM. */
  async verify(token: unknown, expectedRoomId?: string): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new StagecastError('TOKEN_INVALID', 'A room token is required');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new StagecastError('TOKEN_EXPIRED', 'The room token has expired; ask for a new link');
      }
      throw new StagecastError('TOKEN_INVALID', 'The room token is not valid');
    }
    const { room, role, name, sub, exp } = payload;
    if (
      typeof room !== 'string' ||
      !isRole(role) ||
      typeof name !== 'string' ||
      typeof sub !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw new StagecastError('TOKEN_INVALID', 'The room token lacks required claims');
    }
    if (expectedRoomId !== undefined && room !== expectedRoomId) {
      throw new StagecastError('WRONG_ROOM', 'The token belongs to another room');
    }
    return { room, role, name, sub, exp };
  }
}
