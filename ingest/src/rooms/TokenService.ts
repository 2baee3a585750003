import { hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import {
  isRole,
  LINK_KINDS,
  StagecastError,
  type LinkKind,
  type Role,
  type TokenClaims,
} from '@stagecast/protocol';
import { MAX_TOKEN_TTL_SECONDS } from '../core/config.js';

export interface TokenKeySettings {
  apiSecret: string;
  /** `STAGECAST_TOKEN_KEY`: used as is when set, instead of a key derived from the API secret. */
  tokenKey: string | undefined;
}

/**
 * A key of its own for each purpose, derived from the API secret (HKDF-SHA256) unless one is
 * configured: a token never reveals anything usable against the management API, and a
 * token signed with the API secret itself (the old scheme) does not verify.
 */
export function deriveKey(secret: string, purpose: 'room-token' | 'identity-cookie'): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'stagecast', `stagecast ${purpose} v1`, 32));
}

/** The link a role's tokens belong to: guests are promoted viewers. */
export function linkOf(role: Role): LinkKind {
  return role === 'host' || role === 'cohost' ? role : 'viewer';
}

const isLinkKind = (value: unknown): value is LinkKind =>
  typeof value === 'string' && (LINK_KINDS as readonly string[]).includes(value);

/**
 * Signs and verifies room tokens: HS256 JWTs bound to one room, with role, name, the link
 * generation they were made from (`link`, `gen`) and `exp`.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    keys: TokenKeySettings,
    /** Lifetime of tokens made without an explicit TTL (`STAGECAST_TOKEN_TTL_S`). */
    readonly defaultTtlSeconds: number,
  ) {
    this.key = keys.tokenKey
      ? new TextEncoder().encode(keys.tokenKey)
      : deriveKey(keys.apiSecret, 'room-token');
  }

  async sign(opts: {
    roomId: string;
    role: Role;
    name: string;
    gen: number;
    peerId?: string;
    ttlSeconds?: number;
  }): Promise<{ token: string; expiresAt: number }> {
    const ttl = Math.min(opts.ttlSeconds ?? this.defaultTtlSeconds, MAX_TOKEN_TTL_SECONDS);
    const exp = Math.floor(Date.now() / 1000) + ttl;
    const token = await new SignJWT({
      room: opts.roomId,
      role: opts.role,
      name: opts.name,
      link: linkOf(opts.role),
      gen: opts.gen,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(opts.peerId ?? randomUUID())
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
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
    const { room, role, name, sub, exp, link, gen } = payload;
    if (
      typeof room !== 'string' ||
      !isRole(role) ||
      typeof name !== 'string' ||
      typeof sub !== 'string' ||
      typeof exp !== 'number' ||
      !isLinkKind(link) ||
      link !== linkOf(role) ||
      typeof gen !== 'number'
    ) {
      throw new StagecastError('TOKEN_INVALID', 'The room token lacks required claims');
    }
    if (expectedRoomId !== undefined && room !== expectedRoomId) {
      throw new StagecastError('WRONG_ROOM', 'The token belongs to another room');
    }
    return { room, role, name, sub, exp, link, gen };
  }
}
