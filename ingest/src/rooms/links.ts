import type { IncomingHttpHeaders } from 'node:http';
import type { CreateRoomResponse } from '@stagecast/protocol';
import type { RoomRecord } from './RoomStore.js';

/** Where links point: the configured public URL, else the host the request came to. */
export function linkBase(
  publicUrl: string | undefined,
  headers: IncomingHttpHeaders,
  fallbackHost: string,
): string {
  if (publicUrl) return publicUrl.replace(/\/$/, '');
  const proto = headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${headers.host ?? fallbackHost}`;
}

export function roomLinks(base: string, record: RoomRecord): CreateRoomResponse['links'] {
  return {
    host: `${base}/host/${record.codes.host}`,
    cohost: `${base}/host/${record.codes.cohost}`,
    viewer: `${base}/watch/${record.codes.viewer}`,
  };
}
