import type { Queue } from 'bullmq';
import type { Page } from 'playwright-core';
import type { BroadcastProgress, OnAirLayout, RoomInfo } from '@stagecast/protocol';
import { waitFor, type TestIngest } from './servers.js';

/**
 * What a journey test reads back from the real servers about one room: its REST info, the
 * picture on air as the compositor reports it, and the compositor job's own figures.
 */
export class JourneyRoom {
  constructor(
    private readonly ingest: TestIngest,
    private readonly queue: Queue,
    readonly id: string,
  ) {}

  async info(): Promise<RoomInfo> {
    return (await this.ingest.api<RoomInfo>('GET', `/api/rooms/${this.id}`)).body;
  }

  /** The picture on air (who, the lower-third), as the compositor last reported it. */
  async onAir(): Promise<OnAirLayout | undefined> {
    return (await this.info()).live.layout;
  }

  /** Tiles in the composite, as the compositor reports them through the job's progress. */
  async compositeTiles(): Promise<number> {
    const { live } = await this.info();
    const job = await this.queue.getJob(`${this.id}.${live.broadcastId ?? ''}`);
    const progress = job?.progress as BroadcastProgress | number | undefined;
    return typeof progress === 'object' ? progress.tiles : 0;
  }

  /** The person's peer id once they are on stage with camera and microphone. */
  async publishing(name: string): Promise<string> {
    const peer = await waitFor(
      async () => (await this.info()).stage.find((p) => p.name === name && p.producers.length === 2),
      `${name}'s producers`,
    );
    return peer.peerId;
  }
}

/** Waits until the page's HLS video element plays and its clock advances. */
export async function hlsAdvances(page: Page, testId: string): Promise<void> {
  const video = page.getByTestId(testId);
  await video.waitFor({ timeout: 60_000 });
  const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await waitFor(
    () => video.evaluate((v: HTMLVideoElement, t: number) => !v.paused && v.currentTime > t + 1, t0),
    `${testId} to play`,
    60_000,
  );
}

/** Numbered screenshots of a journey, in the order taken: `<prefix>-01-<name>.png`, … */
export function screenshotter(dir: string, prefix: string): (page: Page, name: string) => Promise<void> {
  let step = 0;
  return async (page, name) => {
    step++;
    await page.screenshot({ path: `${dir}/${prefix}-${String(step).padStart(2, '0')}-${name}.png` });
  };
}

/** Viewer or guest in the viewer app: types a question into Q&A and sends it with Enter. */
export async function askInViewerApp(viewer: Page, text: string): Promise<void> {
  await viewer.getByLabel('Your question').fill(text);
  await viewer.getByLabel('Your question').press('Enter');
  await viewer.getByText(text).waitFor();
}

/** Host app: writes a single-choice poll in the Polls tab and starts it. */
export async function startPollInHostApp(host: Page, question: string, options: string[]): Promise<void> {
  await host.getByRole('tab', { name: 'Polls' }).click();
  await host
    .getByRole('tabpanel', { name: 'Polls' })
    .getByRole('textbox', { name: 'Question', exact: true })
    .fill(question);
  for (const [i, option] of options.entries()) await host.getByLabel(`Option ${i + 1}`).fill(option);
  await host.getByRole('button', { name: 'Start poll' }).click();
  await host.getByTestId('open-poll').waitFor();
}
