// Stage glass-to-glass latency: a page publishes a canvas that shows the wall clock as
// blocks; a second page receives it through mediasoup and reads the clock back from each
// frame. Both pages share one machine clock.
import { launch, publishClock, sdkPage } from './browser.mjs';
import { startIngest } from './ingestProcess.mjs';
import { markdownTable, percentile, saveSection } from './lib.mjs';

const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);

const ingest = await startIngest();
const browser = await launch();
try {
  const { id } = await ingest.api('POST', '/api/rooms', { name: 'latency' });
  const token = async (role, name) =>
    (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
  const publisher = await sdkPage(browser, ingest.url);
  await publishClock(publisher, ingest.url, await token('host', 'Clock'));
  const receiver = await sdkPage(browser, ingest.url);
  const samples = await receiver.evaluate(
    async ({ url, token, samples }) => {
      const room = await window.Stagecast.connect({ url, token });
      const stage = new window.Stagecast.Stage(room);
      const track = await new Promise((resolve) => {
        stage.on('trackAdded', (t) => t.kind === 'video' && resolve(t.track));
        void stage.start();
      });
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = new MediaStream([track]);
      await video.play();
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 360;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      const out = [];
      // Let the encoder settle on its bitrate before measuring.
      await new Promise((r) => setTimeout(r, 3000));
      await new Promise((resolve) => {
        const onFrame = () => {
          ctx.drawImage(video, 0, 0, 640, 360);
          const latency = window.clockLatency(window.readClock(ctx, 640, 360));
          if (latency < 5000) out.push(latency);
          if (out.length >= samples) resolve();
          else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      });
      return out;
    },
    { url: ingest.url, token: await token('cohost', 'Reader'), samples: SAMPLES },
  );
  const row = {
    samples: samples.length,
    p50Ms: percentile(samples, 50),
    p95Ms: percentile(samples, 95),
    maxMs: Math.max(...samples),
  };
  saveSection('stageLatency', {
    description:
      'canvas clock → mediasoup (VP8) → second page, read per frame with requestVideoFrameCallback',
    ...row,
  });
  console.log(
    markdownTable(
      [row],
      [
        { key: 'samples', label: 'frames' },
        { key: 'p50Ms', label: 'p50 ms' },
        { key: 'p95Ms', label: 'p95 ms' },
        { key: 'maxMs', label: 'max ms' },
      ],
    ),
  );
} finally {
  await browser.close();
  await ingest.stop();
}
process.exit(0);
