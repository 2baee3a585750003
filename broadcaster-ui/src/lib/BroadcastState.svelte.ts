import type {
  BroadcastProgress,
  BroadcastQuality,
  JoinSnapshot,
  LiveState,
  OnAirLayout,
  Room,
} from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

/** Header label of each broadcast state; "Live" is what people (and the tests) look for. */
const LABELS: Record<LiveState['state'], string> = {
  idle: 'Off air',
  starting: 'Starting…',
  live: 'Live',
  stopping: 'Ending…',
  ended: 'Ended',
  error: 'Broadcast failed',
};

/** What the picture on air shows while live, and how the compositor keeps up. */
export interface OnAir {
  layout: OnAirLayout;
  /** FFmpeg's speed (1 = real time); null until the compositor reports it. */
  speed: number | null;
  quality: BroadcastQuality | null;
}

/** The HLS broadcast of the room: state, compositor figures, audience size, start and stop. */
export class BroadcastState {
  live = $state.raw<LiveState>({ state: 'idle' });
  progress = $state.raw<BroadcastProgress | null>(null);
  viewers = $state(0);
  pending = $state<'start' | 'stop' | null>(null);
  error = $state<string | null>(null);
  viewerLink = $state<string | null>(null);

  readonly label: string = $derived(LABELS[this.live.state]);
  readonly isLive: boolean = $derived(this.live.state === 'live');
  /** Start is offered whenever nothing is running. */
  readonly canStart: boolean = $derived(['idle', 'ended', 'error'].includes(this.live.state));
  readonly hlsUrl: string | null = $derived(
    this.live.hlsUrl ? new URL(this.live.hlsUrl, location.origin).href : null,
  );
  readonly startedAt: number | null = $derived(this.live.startedAt ? Date.parse(this.live.startedAt) : null);
  /**
   * The last progress report, else the live state's copy (which is all there is right after
   * joining a running broadcast). A compositor from before layouts reports no layout: null.
   */
  readonly onAir: OnAir | null = $derived.by(() => {
    if (!this.isLive) return null;
    const report: Partial<BroadcastProgress> = this.progress ?? {};
    const layout = report.layout ?? this.live.layout;
    if (!layout) return null;
    return {
      layout,
      speed: report.speed ?? this.live.speed ?? null,
      quality: report.quality ?? this.live.quality ?? null,
    };
  });
  /** Set while the compositor runs below full quality on purpose (to stay live). */
  readonly reducedQuality: BroadcastQuality | null = $derived(
    this.onAir?.quality && this.onAir.quality.level > 0 ? this.onAir.quality : null,
  );

  readonly #off: (() => void)[] = [];

  constructor(private readonly room: Room) {
    this.#apply(room.snapshot);
    this.#off.push(
      room.on('liveState', (state) => {
        this.live = state;
        if (state.state !== 'live') this.progress = null;
        if (state.state === 'error' && state.error) this.error = state.error;
      }),
      room.on('broadcastProgress', (progress) => (this.progress = progress)),
      room.on('audienceCount', (viewers) => (this.viewers = viewers)),
      room.on('reconnected', (snapshot) => this.#apply(snapshot)),
    );
  }

  async start(): Promise<void> {
    await this.#run('start', () => this.room.request('broadcast:start', {}));
  }

  async stop(): Promise<void> {
    await this.#run('stop', () => this.room.request('broadcast:stop', {}));
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
  }

  async #run(kind: 'start' | 'stop', call: () => Promise<LiveState>): Promise<void> {
    if (this.pending) return;
    this.pending = kind;
    this.error = null;
    try {
      this.live = await call();
    } catch (error) {
      this.error = `Could not ${kind === 'start' ? 'go live' : 'end the broadcast'}: ${describeError(error)}`;
    } finally {
      this.pending = null;
    }
  }

  /** The viewer link to share (absolute: the server may answer a path). */
  setViewerLink(link: string): void {
    this.viewerLink = new URL(link, location.origin).href;
  }

  #apply(snapshot: JoinSnapshot): void {
    this.live = snapshot.live;
    this.viewers = snapshot.audience.viewers;
    // The server gives the link to those who manage the stage only (not to guests).
    this.viewerLink = null;
    if (snapshot.viewerLink) this.setViewerLink(snapshot.viewerLink);
  }
}
