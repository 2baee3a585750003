import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { deriveKey } from './TokenService.js';

/** How long a browser keeps its identity in a room without joining again. */
const MAX_AGE_SECONDS = 30 * 24 * 3600;
/** Only the join request needs it: no other request carries it. */
const COOKIE_PATH = '/api/join';

/** A viewer-link identity as the cookie pins it: the person's id and when it was first given. */
export interface ViewerIdentity {
  peerId: string;
  /** ms since the epoch. */
  issuedAt: number;
}

/**
 * The viewer link's identity: a signed, http-only, SameSite cookie per room, so that the same
 * browser keeps the same peer id (what a ban records) whatever name it joins under. The value
 * is `<peerId>.<issuedAt>.<signature>`, signed with a key of its own derived from the API secret.
 */
export class IdentityCookie {
  private readonly key: Uint8Array;

  constructor(apiSecret: string) {
    this.key = deriveKey(apiSecret, 'identity-cookie');
  }

  /** The identity the request's cookie carries for this room, or null (none, or not ours). */
  read(req: IncomingMessage, roomId: string): ViewerIdentity | null {
    const value = cookieValue(req.headers.cookie, cookieName(roomId));
    const parts = value?.split('.');
    if (parts?.length !== 3) return null;
    const [peerId, issued, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(roomId, peerId, issued));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const issuedAt = Number(issued);
    return Number.isSafeInteger(issuedAt) ? { peerId, issuedAt } : null;
  }

  /** A new identity. */
  create(): ViewerIdentity {
    return { peerId: randomUUID(), issuedAt: Date.now() };
  }

  /** The `Set-Cookie` header that (re)pins the identity; `secure` when the page is served over https. */
  header(roomId: string, identity: ViewerIdentity, secure: boolean): string {
    const issued = String(identity.issuedAt);
    const value = `${identity.peerId}.${issued}.${this.sign(roomId, identity.peerId, issued)}`;
    const attributes = [
      `${cookieName(roomId)}=${value}`,
      `Path=${COOKIE_PATH}`,
      `Max-Age=${MAX_AGE_SECONDS}`,
      'HttpOnly',
      'SameSite=Strict',
    ];
    if (secure) attributes.push('Secure');
    return attributes.join('; ');
  }

  private sign(roomId: string, peerId: string, issued: string): string {
    return createHmac('sha256', this.key).update(`${roomId}.${peerId}.${issued}`).digest('base64url');
  }
}

/** One cookie per room: an identity in one room says nothing about another. */
const cookieName = (roomId: string) => `stagecast_id_${roomId}`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
