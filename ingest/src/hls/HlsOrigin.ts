import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsLayout, StagecastError } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import type { HlsSettings } from '../core/config.js';
import { LivePlaylist, type WaitEnd } from './LivePlaylist.js';
import type { DeliveryDirectives } from './deliveryDirectives.js';
import {
  renderMediaPlaylist,
  renditionReport,
  satisfies,
  tooFarAhead,
  type MediaPlaylist,
} from './mediaPlaylist.js';

/** A playlist nobody asked for in this long stops being watched. */
const IDLE_MS = 60_000;
/** How often the rungs a master playlist lists are read again. */
const MASTER_TTL_MS = 2_000;
/** Held requests wait at most this many target durations (§6.2.5.2), then get a 503. */
const HOLD_TARGET_DURATIONS = 3;

/** A media playlist as answered to one request. */
export interface PlaylistAnswer {
  body: Buffer;
  /** Whether it answered delivery directives (its URL is then unique and may be cached). */
  blocking: boolean;
  targetDuration: number;
}

interface MasterRungs {
  names: string[];
  readAt: number;
  reading: Promise<void> | null;
}

/**
 * The live LL-HLS origin: every rendition's media playlist in memory, blocking playlist reload
 * (`_HLS_msn`, `_HLS_part`), delta updates (`_HLS_skip`), rendition reports for the other rungs,
 * and hinted parts held until they are written. Held requests are capped per client address and
 * in all, so waiting is not a way to tie the server up.
 */
export class HlsOrigin {
  private readonly playlists = new Map<string, LivePlaylist>();
  private readonly masters = new Map<string, MasterRungs>();
  private readonly heldByIp = new Map<string, number>();
  /** Rendered answers per playlist version: the crowd woken by one part shares one buffer. */
  private readonly rendered = new WeakMap<MediaPlaylist, Map<string, Buffer>>();
  private held = 0;
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly settings: HlsSettings,
    private readonly logger: Logger,
  ) {
    this.sweep = setInterval(() => this.dropIdle(), IDLE_MS / 2);
    this.sweep.unref();
  }

  /** Requests held right now (all clients). */
  get heldRequests(): number {
    return this.held;
  }

  /**
   * The media playlist of `rung`, after waiting for what the directives ask for. Throws
   * NOT_FOUND without a playlist, BEYOND_LIVE_EDGE for a directive too far ahead, UNAVAILABLE
   * when the wait ran out, RATE_LIMITED when too many requests are held already.
   */
  async answer(
    roomId: string,
    rung: string,
    directives: DeliveryDirectives,
    ip: string,
    signal: AbortSignal,
  ): Promise<PlaylistAnswer | 'aborted'> {
    const live = await this.playlist(roomId, rung);
    let playlist = live.playlist;
    if (!playlist) throw new StagecastError('NOT_FOUND', 'No such playlist');
    // Directives mean nothing once the broadcast ended (§6.2.5.1, §6.2.5.2).
    const { msn, part } = directives;
    const blocking = msn !== undefined && !playlist.ended;
    if (blocking) {
      const refused = tooFarAhead(playlist, msn, part);
      if (refused) throw new StagecastError('BEYOND_LIVE_EDGE', refused);
      const result = await this.hold(ip, live, (p) => p.ended || satisfies(p, msn, part), signal);
      if (result === 'aborted') return 'aborted';
      playlist = result;
    }
    const reports = await this.reports(roomId, rung, playlist);
    return {
      body: this.render(playlist, directives.skip, reports),
      blocking,
      targetDuration: playlist.targetDuration,
    };
  }

  /**
   * Waits until the part `file`, named by the rendition's preload hint, is written. Returns
   * false when `file` is not the hinted part (the caller answers 404 as for any missing file).
   */
  async awaitHintedPart(
    roomId: string,
    rung: string,
    file: string,
    ip: string,
    signal: AbortSignal,
  ): Promise<boolean | 'aborted'> {
    const live = await this.playlist(roomId, rung);
    const playlist = live.playlist;
    if (!playlist || playlist.ended || playlist.preloadHint !== file) return false;
    // The writer renames the part into place before a playlist names it and hints the next.
    const result = await this.hold(ip, live, (p) => p.ended || p.preloadHint !== file, signal);
    return result === 'aborted' ? 'aborted' : true;
  }

  private render(playlist: MediaPlaylist, skip: boolean, reports: string[]): Buffer {
    let versions = this.rendered.get(playlist);
    if (!versions) {
      versions = new Map();
      this.rendered.set(playlist, versions);
    }
    const key = `${skip}\n${reports.join('\n')}`;
    let body = versions.get(key);
    if (!body) {
      body = Buffer.from(renderMediaPlaylist(playlist, { skip, reports }));
      // Reports move with the other rungs: keep only the newest few of this version.
      if (versions.size >= 8) versions.clear();
      versions.set(key, body);
    }
    return body;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    for (const playlist of this.playlists.values()) playlist.close();
    this.playlists.clear();
  }

  private async hold(
    ip: string,
    live: LivePlaylist,
    ready: (p: MediaPlaylist) => boolean,
    signal: AbortSignal,
  ): Promise<MediaPlaylist | 'aborted'> {
    const mine = this.heldByIp.get(ip) ?? 0;
    if (this.held >= this.settings.maxHeld || mine >= this.settings.maxHeldPerIp)
      throw new StagecastError('RATE_LIMITED', 'Too many held playlist and part requests', 1000);
    this.held += 1;
    this.heldByIp.set(ip, mine + 1);
    const targetMs = (live.playlist?.targetDuration ?? 2) * 1000;
    let result: MediaPlaylist | WaitEnd;
    try {
      result = await live.waitFor(ready, HOLD_TARGET_DURATIONS * targetMs, signal);
    } finally {
      this.held -= 1;
      const left = (this.heldByIp.get(ip) ?? 1) - 1;
      if (left > 0) this.heldByIp.set(ip, left);
      else this.heldByIp.delete(ip);
    }
    if (result === 'aborted') return 'aborted';
    if (result === 'timeout' || result === 'closed')
      throw new StagecastError('UNAVAILABLE', 'The playlist did not get there in time; ask again');
    return result;
  }

  /** The rendition's playlist state, created and read on first use. */
  private async playlist(roomId: string, rung: string): Promise<LivePlaylist> {
    if (this.closed) throw new StagecastError('UNAVAILABLE', 'The server is shutting down');
    const key = `${roomId}/${rung}`;
    let live = this.playlists.get(key);
    if (!live) {
      const file = join(this.dataDir, hlsLayout.liveDir(roomId), rung, hlsLayout.media);
      live = new LivePlaylist(file, this.settings.pollMs, this.logger, () => this.refreshMaster(roomId));
      this.playlists.set(key, live);
    }
    live.lastUsed = Date.now();
    await live.loaded;
    // Nothing to watch: a request for any made-up name must not leave a watcher behind.
    if (!live.playlist && live.waiting === 0 && this.playlists.get(key) === live) {
      live.close();
      this.playlists.delete(key);
    }
    return live;
  }

  /** EXT-X-RENDITION-REPORT for every other rung the master playlist lists (LL-HLS only). */
  private async reports(roomId: string, rung: string, playlist: MediaPlaylist): Promise<string[]> {
    if (playlist.partTarget === undefined || playlist.ended) return [];
    const master = this.refreshMaster(roomId);
    if (master.readAt === 0 && master.reading) await master.reading;
    const reports: string[] = [];
    for (const name of master.names) {
      if (name === rung) continue;
      const other = (await this.playlist(roomId, name)).playlist;
      if (other && !other.ended) reports.push(renditionReport(`../${name}/${hlsLayout.media}`, other));
    }
    return reports;
  }

  /** The rungs of the room's master playlist, read again when older than MASTER_TTL_MS. */
  private refreshMaster(roomId: string): MasterRungs {
    let master = this.masters.get(roomId);
    if (!master) {
      master = { names: [], readAt: 0, reading: null };
      this.masters.set(roomId, master);
    }
    if (master.reading || Date.now() - master.readAt < MASTER_TTL_MS) return master;
    const entry = master;
    const file = join(this.dataDir, hlsLayout.liveDir(roomId), hlsLayout.master);
    entry.reading = readFile(file, 'utf8')
      .then(
        (text) => rungsOfMaster(text),
        () => [],
      )
      .then((names) => {
        entry.names = names;
        entry.readAt = Date.now();
        entry.reading = null;
      });
    return entry;
  }

  private dropIdle(): void {
    const before = Date.now() - IDLE_MS;
    for (const [key, live] of this.playlists) {
      if (live.waiting > 0 || live.lastUsed > before) continue;
      live.close();
      this.playlists.delete(key);
    }
    for (const [roomId] of this.masters)
      if (![...this.playlists.keys()].some((key) => key.startsWith(`${roomId}/`)))
        this.masters.delete(roomId);
  }
}

const RUNG_URI = new RegExp(`^([A-Za-z0-9_-]{1,64})/${hlsLayout.media.replace('.', '\\.')}$`);

/** Rendition folder names, from the variant URIs of a master playlist (`720p/index.m3u8`). */
export function rungsOfMaster(text: string): string[] {
  return text
    .split('\n')
    .map((line) => RUNG_URI.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined);
}
