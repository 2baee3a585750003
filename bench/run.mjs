// `npm run bench`: runs every benchmark one after the other (they share two cores; each may
// first wait up to 15 min for a quiet machine, hence the 45 min bound per benchmark), then
// writes bench/results/latest.json, latest.md and latest.png. Benchmarks never pass or fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { glassTable, machine, markdownTable, resultsDir } from './lib.mjs';

const here = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const all = [
  'glass-to-glass',
  'llhls-pipeline',
  'stage-invite',
  'golive',
  'stage-change',
  'compositor-cpu',
  'behind-live',
  'chat-fanout',
  'llhls-blocking',
];
const unknown = only.filter((b) => !all.includes(b));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}
const benches = all.filter((b) => only.length === 0 || only.includes(b));

for (const bench of benches) {
  console.log(`\n== ${bench} ==`);
  const result = spawnSync(process.execPath, [join(here, `${bench}.mjs`)], {
    stdio: 'inherit',
    timeout: 45 * 60_000,
  });
  if (result.status !== 0)
    console.log(`(${bench} did not finish: ${result.signal ?? `exit ${result.status}`})`);
}

const file = join(resultsDir, 'latest.json');
if (!existsSync(file)) process.exit(0);
const { sections } = JSON.parse(readFileSync(file, 'utf8'));
const m = machine();
const lines = [
  `# Stagecast benchmarks`,
  '',
  `Machine: ${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${m.ffmpeg}.`,
  '',
];
/** The machine as a benchmark found it (nproc, CPU model, load average at its start). */
const machineLine = (n) =>
  n
    ? `Machine at start: \`nproc\` ${n.nproc}, ${n.cpuModel}, load average ${n.loadAverage.load1} / ${n.loadAverage.load5} / ${n.loadAverage.load15}` +
      (n.quiet
        ? ` (quiet${n.waitedS ? ` after waiting ${n.waitedS} s` : ''})`
        : ` (NOT quiet: waited ${n.waitedS} s; ${n.otherProcesses} other FFmpeg/Chromium/busy-loop processes)`) +
      '.'
    : '';
const codeLine = (c) =>
  c?.atStart
    ? `Code: commit ${c.atStart.commit}${c.atStart.uncommittedCompositorChanges ? ` + ${c.atStart.uncommittedCompositorChanges} uncommitted compositor file(s)` : ''}, transcoder dist built ${c.atStart.transcoderDistBuiltAt}` +
      (c.atEnd && c.atEnd.transcoderDistBuiltAt !== c.atStart.transcoderDistBuiltAt
        ? ` (rebuilt during the run, at ${c.atEnd.transcoderDistBuiltAt})`
        : '') +
      '.'
    : '';
if (sections.glassToGlass) {
  const g = sections.glassToGlass;
  lines.push('## Glass-to-glass latency (block clock read back from the picture)', '', g.description, '');
  lines.push(machineLine(g.machine), '', glassTable(g), '');
  lines.push(
    `Stall ratio ${g.stallRatio ?? '—'}, go live → first frame ${g.goLiveToFirstFrameMs ?? '—'} ms. Goals: ${g.goals}.`,
    '',
  );
  for (const [mode, message] of Object.entries(g.errors ?? {}))
    lines.push(`- ${mode} failed: ${message}`, '');
}
if (sections.stageInvite) {
  lines.push('## The way onto the stage', '', sections.stageInvite.description, '');
  lines.push(
    markdownTable(
      [sections.stageInvite],
      [
        { key: 'inviteToStageMs', label: 'accept → on stage ms' },
        { key: 'inviteToHlsMs', label: 'accept → in HLS ms' },
      ],
    ),
    '',
  );
}
if (sections.goLive) {
  lines.push('## Going live and compositor CPU', '', sections.goLive.description, '');
  lines.push(
    markdownTable(sections.goLive.rows, [
      { key: 'tiles', label: 'tiles' },
      { key: 'firstSegmentMs', label: 'start → first segment ms' },
      { key: 'ffmpegCores', label: 'FFmpeg cores' },
      { key: 'ingestCores', label: 'ingest cores' },
      { key: 'botCores', label: 'bots cores' },
    ]),
    '',
  );
}
const yesNo = (v) => (v === true ? 'yes' : v === false ? 'no' : '—');
if (sections.stageChange) {
  const sc = sections.stageChange;
  lines.push(
    '## Stage change → on air (continuous compositor)',
    '',
    sc.description,
    '',
    machineLine(sc.machine),
    codeLine(sc.code),
    '',
  );
  lines.push(
    markdownTable(
      [{ ...sc, same: yesNo(sc.ffmpegPidNeverChanged), met: yesNo(sc.onAirGoalMet) }],
      [
        { key: 'changes', label: 'changes' },
        { key: 'onAirP50Ms', label: 'on air p50 ms' },
        { key: 'onAirP95Ms', label: 'on air p95 ms' },
        { key: 'segmentP50Ms', label: 'first later segment p50 ms' },
        { key: 'segmentP95Ms', label: 'first later segment p95 ms' },
        { key: 'same', label: 'same FFmpeg pid' },
        { key: 'discontinuitiesAdded', label: 'discontinuities added' },
        { key: 'met', label: `on air ≤ ${sc.segmentSeconds} s` },
      ],
    ),
    '',
  );
  lines.push(
    markdownTable(sc.rows, [
      { key: 'change', label: '#' },
      { key: 'kind', label: 'change' },
      { key: 'tiles', label: 'tiles after' },
      { key: 'onAirMs', label: 'on air ms' },
      { key: 'segmentMs', label: 'first later segment ms' },
      { key: 'segmentStartsAfterMs', label: 'its start after the change ms' },
      { key: 'segmentListedAfterItsEndMs', label: 'listed after its end ms' },
    ]),
    '',
  );
}
if (sections.compositorCpu) {
  const cc = sections.compositorCpu;
  lines.push(
    '## Compositor CPU and quality (camera-like 1280x720 VP8 tiles)',
    '',
    cc.description,
    '',
    machineLine(cc.machine),
    codeLine(cc.code),
    '',
  );
  lines.push(
    markdownTable(cc.rows, [
      { key: 'tiles', label: 'tiles' },
      { key: 'ffmpegCores', label: 'FFmpeg cores' },
      { key: 'speed', label: 'speed' },
      { key: 'minSpeed5s', label: 'slowest 5 s' },
      { key: 'fellBehindMs', label: 'fell behind ms' },
      { key: 'busiestThreadCores', label: 'busiest thread cores' },
      { key: 'capacitySpeed', label: 'capacity speed' },
      { key: 'headroomPct', label: 'headroom %' },
      { key: 'psnrY', label: '720p PSNR-Y dB' },
      { key: 'psnrMinFrame', label: 'worst frame dB' },
      { key: 'sendersCores', label: 'senders cores' },
      { key: 'othersCores', label: 'other processes cores' },
      { key: 'stealPct', label: 'steal %' },
    ]),
    '',
  );
  const g = cc.goals ?? {};
  if (g.fourTiles)
    lines.push(
      `- 4 tiles, goal ${g.fourTiles.goal}: ${g.fourTiles.cores} cores, ${g.fourTiles.psnrY?.toFixed?.(1) ?? '—'} dB: **${g.fourTiles.met ? 'met' : 'not met'}**`,
    );
  for (const r of cc.rows.filter((x) => x.capacityByQualityStep)) {
    lines.push(
      `- ${r.tiles} tiles, capacity by quality step: ${r.capacityByQualityStep.map((q) => `step ${q.level} (${q.frameRate} fps) ${q.capacitySpeed}×`).join(', ')}`,
    );
  }
  if (g.nineTiles)
    lines.push(
      `- 9 tiles, goal ${g.nineTiles.goal}: speed ${g.nineTiles.speed} (fell behind ${g.nineTiles.fellBehindMs ?? '—'} ms in the window), capacity ${g.nineTiles.capacitySpeed ?? '—'}× = headroom ${g.nineTiles.headroomPct ?? '—'}%: **${g.nineTiles.met ? 'met' : 'not met'}**`,
    );
  lines.push('');
}
if (sections.behindLive) {
  const bl = sections.behindLive;
  lines.push(
    '## Behind live under a busy loop',
    '',
    bl.description,
    '',
    machineLine(bl.machine),
    codeLine(bl.code),
    '',
  );
  lines.push(
    markdownTable(bl.phases, [
      { key: 'phase', label: 'phase' },
      { key: 'segments', label: 'segments' },
      { key: 'behindP50Ms', label: 'behind p50 ms' },
      { key: 'behindP95Ms', label: 'behind p95 ms' },
      { key: 'behindMaxMs', label: 'behind max ms' },
      { key: 'qualityLevels', label: 'quality levels seen' },
      { key: 'frameRateAtEnd', label: 'fps at end' },
      { key: 'speedMin', label: 'speed min' },
      { key: 'ffmpegRuns', label: 'FFmpeg runs' },
      { key: 'discontinuities', label: 'discontinuities' },
      { key: 'load1AtEnd', label: 'load at end' },
    ]),
    '',
  );
  lines.push(
    `Goal ${bl.goal}: **${bl.goalMet ? 'met' : 'not met'}** (at p95: ${bl.goalMetAtP95 ? 'met' : 'not met'}).`,
    '',
  );
}
if (sections.chatFanout) {
  lines.push('## Chat fan-out', '', sections.chatFanout.description, '');
  lines.push(
    markdownTable(sections.chatFanout.rows, [
      { key: 'viewers', label: 'sockets' },
      { key: 'deliveriesPerSecond', label: 'deliveries/s' },
      { key: 'p50Ms', label: 'p50 ms' },
      { key: 'p99Ms', label: 'p99 ms' },
      { key: 'ingestCpuCores', label: 'ingest cores' },
      { key: 'lostMessages', label: 'lost' },
    ]),
    '',
  );
}
if (sections.llhlsBlocking) {
  lines.push('## LL-HLS blocking playlist reload', '', sections.llhlsBlocking.description, '');
  lines.push(
    markdownTable(sections.llhlsBlocking.rows, [
      { key: 'requests', label: 'held requests' },
      { key: 'p50Ms', label: 'wake-up p50 ms' },
      { key: 'p99Ms', label: 'wake-up p99 ms' },
      { key: 'refused', label: 'not answered' },
      { key: 'ingestCpuSecondsPerWake', label: 'ingest CPU s per wake-up' },
    ]),
    '',
  );
}
writeFileSync(join(resultsDir, 'latest.md'), `${lines.join('\n')}\n`);
console.log(`\nwrote ${join(resultsDir, 'latest.md')}`);

// A bar chart of the latency figures and compositor CPU, drawn as SVG and photographed by Chromium.
const bars = [];
const glass = sections.glassToGlass;
for (const [label, figures] of [
  ['stage', glass?.stage],
  ['HLS', glass?.classic],
  ['LL-HLS', glass?.ll],
])
  if (figures) bars.push([`${label} p50 (ms)`, figures.p50Ms]);
if (sections.stageChange) bars.push(['on air p50 (ms)', sections.stageChange.onAirP50Ms]);
// The continuous compositor's figures (camera-like 720p tiles) when measured, else the go-live bench's.
const cpuRows = sections.compositorCpu?.rows ?? sections.goLive?.rows ?? [];
const cpu = cpuRows.map((r) => [`${r.tiles} tile${r.tiles > 1 ? 's' : ''}`, r.ffmpegCores]);
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
