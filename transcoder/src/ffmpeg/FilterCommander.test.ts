import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { FilterCommander } from './FilterCommander.js';
import { freeTcpPort } from '../core/PortPool.js';

/**
 * A peer that answers like FFmpeg's zmq filter (`0 Success` for each command) but loses the
 * first `lose` commands it gets, as a restarting filter graph or a dropped connection would.
 */
async function peer(lose: number): Promise<{ port: number; close: () => void }> {
  const port = await freeTcpPort();
  const router = new Router({ linger: 0 });
  await router.bind(`tcp://127.0.0.1:${port}`);
  let seen = 0;
  void (async () => {
    try {
      for await (const [id, empty, command] of router) {
        if (seen++ < lose) continue;
        await router.send([id!, empty!, `0 Success (${command?.toString() ?? ''})`]);
      }
    } catch {
      // closed
    }
  })();
  return { port, close: () => router.close() };
}

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

describe('FilterCommander', () => {
  it('a batch is answered in order', async () => {
    const ffmpeg = await peer(0);
    const commander = new FilterCommander(ffmpeg.port);
    closers.push(ffmpeg.close, () => commander.close());
    expect(await commander.send(['scale@vs0 w 640', 'scale@vs0 h 360'], 3000)).toEqual([]);
  });

  it('after a lost command, the next batch is answered on a new connection (not paired with stale replies)', async () => {
    const ffmpeg = await peer(1);
    const commander = new FilterCommander(ffmpeg.port);
    closers.push(ffmpeg.close, () => commander.close());
    await expect(commander.send(['a 1', 'b 2'], 500)).rejects.toThrow(/did not answer 2/);
    // Without a new connection, these replies would resolve the lost batch's waiters, and
    // this batch would wait for ever.
    expect(await commander.send(['c 3', 'd 4'], 3000)).toEqual([]);
    expect(await commander.send(['e 5'], 3000)).toEqual([]);
  });
});
