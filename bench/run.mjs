// `npm run bench`: runs every benchmark one after the other (they share two cores), then
// writes bench/results/latest.json, latest.md and latest.png. Benchmarks never pass or fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { machine, markdownTable, resultsDir } from './lib.mjs';

const here = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const benches = ['stage-latency', 'hls-latency', 'golive', 'chat-fanout'].filter((b) => only.length === 0 || only.includes(b));

for (const bench of benches) {
  console.log(`\n== ${bench} ==`);
  const result = spawnSync(process.execPath, [join(here, `${bench}.mjs`)], { stdio: 'inherit', timeout: 15 * 60_000 });
  if (result.status !== 0) console.log(`(${bench} did not finish: ${result.signal ?? `exit ${result.status}`})`);
}

const file = join(resultsDir, 'latest.json');
if (!existsSync(file)) process.exit(0);
const { sections } = JSON.parse(readFileSync(file, 'utf8'));
const m = machine();
const lines = [`# Stagecast benchmarks`, '', `Machine: ${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${m.ffmpeg}.`, ''];
if (sections.stageLatency) {
  lines.push('## Stage glass-to-glass latency (WebRTC)', '', sections.stageLatency.description, '');
  lines.push(markdownTable([sections.stageLatency], [
    { key: 'samples', label: 'frames' }, { key: 'p50Ms', label: 'p50 ms' }, { key: 'p95Ms', label: 'p95 ms' },
  ]), '');
}
if (sections.hls) {
  lines.push('## HLS latency and the way onto the stage', '', sections.hls.description, '');
  lines.push(markdownTable([sections.hls], [
    { key: 'hlsP50Ms', label: 'HLS p50 ms' }, { key: 'hlsP95Ms', label: 'HLS p95 ms' },
    { key: 'goLiveToViewerMs', label: 'go live → viewer plays ms' },
    { key: 'inviteToStageMs', label: 'accept → on stage ms' }, { key: 'inviteToHlsMs', label: 'accept → in HLS ms' },
  ]), '');
}
if (sections.goLive) {
  lines.push('## Going live and compositor CPU', '', sections.goLive.description, '');
  lines.push(markdownTable(sections.goLive.rows, [
    { key: 'tiles', label: 'tiles' }, { key: 'firstSegmentMs', label: 'start → first segment ms' },
    { key: 'ffmpegCores', label: 'FFmpeg cores' }, { key: 'ingestCores', label: 'ingest cores' }, { key: 'botCores', label: 'bots cores' },
  ]), '');
}
if (sections.chatFanout) {
  lines.push('## Chat fan-out', '', sections.chatFanout.description, '');
  lines.push(markdownTable(sections.chatFanout.rows, [
    { key: 'viewers', label: 'sockets' }, { key: 'deliveriesPerSecond', label: 'deliveries/s' },
    { key: 'p50Ms', label: 'p50 ms' }, { key: 'p99Ms', label: 'p99 ms' }, { key: 'ingestCpuCores', label: 'ingest cores' },
  ]), '');
}
writeFileSync(join(resultsDir, 'latest.md'), `${lines.join('\n')}\n`);
console.log(`\nwrote ${join(resultsDir, 'latest.md')}`);

// A bar chart of the latency figures and compositor CPU, drawn as SVG and photographed by Chromium.
const bars = [];
if (sections.stageLatency) bars.push(['stage p50 (ms)', sections.stageLatency.p50Ms], ['stage p95 (ms)', sections.stageLatency.p95Ms]);
if (sections.hls) bars.push(['HLS p50 (ms)', sections.hls.hlsP50Ms], ['HLS p95 (ms)', sections.hls.hlsP95Ms]);
const cpu = (sections.goLive?.rows ?? []).map((r) => [`${r.tiles} tile${r.tiles > 1 ? 's' : ''}`, r.ffmpegCores]);
const chart = (title, data, unit, x0, width) => {
  const max = Math.max(1e-9, ...data.map(([, v]) => v ?? 0));
  const rows = data.map(([label, v], i) => {
    const w = ((v ?? 0) / max) * (width - 220);
    const y = 60 + i * 36;
    return `<text x="${x0}" y="${y + 18}" font-size="14">${label}</text><rect x="${x0 + 130}" y="${y}" width="${w}" height="24" fill="#3b82f6"/><text x="${x0 + 136 + w}" y="${y + 18}" font-size="13">${v ?? '—'}${unit}</text>`;
  });
  return `<text x="${x0}" y="32" font-size="18" font-weight="bold">${title}</text>${rows.join('')}`;
};
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="320" font-family="DejaVu Sans, sans-serif"><rect width="1000" height="320" fill="#fff"/>${chart('Latency', bars, ' ms', 20, 480)}${chart('FFmpeg CPU, 3-rung ladder', cpu, ' cores', 520, 480)}<text x="20" y="305" font-size="12" fill="#555">${m.cpuCount} × ${m.cpuModel}</text></svg>`;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1000, height: 320 } });
await page.setContent(`<body style="margin:0">${svg}</body>`);
await page.screenshot({ path: join(resultsDir, 'latest.png') });
await browser.close();
console.log(`wrote ${join(resultsDir, 'latest.png')}`);
