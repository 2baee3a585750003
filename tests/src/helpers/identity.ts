import { hkdfSync } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ConnectErrorData, Role } from '@stagecast/protocol';
import { RawClient } from './rawClient.js';
import { TEST_SECRET } from './servers.js';

/** The room-token key as the README documents it: HKDF-SHA256 of the API secret. */
export function roomTokenKey(secret = TEST_SECRET): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'stagecast', 'stagecast room-token v1', 32));
}

/** Signs a room token with any key and claims (`link` and `gen` as the server would set them). */
export function signToken(
  key: Uint8Array,
  claims: { room: string; role: Role; name: string; sub: string; gen?: number },
  exp: number | string = '1h',
): Promise<string> {
  const link = claims.role === 'host' || claims.role === 'cohost' ? claims.role : 'viewer';
  return new SignJWT({ room: claims.room, role: claims.role, name: claims.name, link, gen: claims.gen ?? 0 })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setExpirationTime(exp)
    .sign(key);
}

/** A browser's view of `POST /api/join`: its address and its cookie for the room, if any. */
export interface Browser {
  ip: string;
  cookie?: string;
}

export interface JoinOutcome {
  status: number;
  code?: string;
  token?: string;
  /** The identity cookie set by the answer (`name=value`). */
  cookie?: string;
}

/** Opens a role link as a browser would (behind a trusted proxy that sets `X-Forwarded-For`). */
export async function openLink(
  url: string,
  code: string,
  name: string,
  browser: Browser,
): Promise<JoinOutcome> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-forwarded-for': browser.ip,
  };
  if (browser.cookie) headers.cookie = browser.cookie;
  const res = await fetch(`${url}/api/join`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code, name }),
  });
  const body = (await res.json()) as { token?: string; error?: { code: string } };
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, code: body.error?.code, token: body.token, cookie };
}

/** Opens a role link and keeps the browser's cookie, as a browser does. */
export async function openLinkKeepingCookie(
  url: string,
  code: string,
  name: string,
  browser: Browser,
): Promise<JoinOutcome> {
  const outcome = await openLink(url, code, name, browser);
  if (outcome.cookie) browser.cookie = outcome.cookie;
  return outcome;
}

/** Connects a raw client from an address; answers it, or the refusal's code. */
export async function connectFrom(
  url: string,
  token: string,
  roomId: string,
  ip: string,
): Promise<RawClient | string> {
  return RawClient.connect(url, token, roomId, { 'x-forwarded-for': ip }).catch(
    (error: Error & { data?: ConnectErrorData }) => error.data?.code ?? error.message,
  );
}

export const linkCode = (link: string): string => link.split('/').pop() ?? '';
