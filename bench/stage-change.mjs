// Stage change → on air, with the continuous compositor: two bots live, then 10 changes
// (a bot joins, the longest-standing bot leaves, alternating). For each change, from the
// moment GET /api/rooms/:id shows it on the stage:
//  (a) until `live.layout` (the picture the compositor reports on air) has it;
//  (b) until the 720p playlist lists its first segment whose PROGRAM-DATE-TIME is after the change.
// Also: the FFmpeg pid (it must never change) and the #EXT-X-DISCONTINUITY tags added (0 expected).
import { startLiveRoom, poll } from './liveRoom.mjs';
import {
  markdownTable,
  PlaylistPoller,
  saveSection,
  sleep,
  stats,
  waitForQuiet,
  codeVersion,
  exitOnSignals,
} from './lib.mjs';

const CHANGES = Number(process.env.BENCH_STAGE_CHANGES ?? 10);
const SEGMENT_SECONDS = 2;

exitOnSignals();
const machine = await waitForQuiet();
const codeAtStart = codeVersion();
console.log(`machine: ${JSON.stringify(machine)}`);
const room = await startLiveRoom({
  bots: 2,
  name: 'stage change',
  ingestEnv: { STAGECAST_SEGMENT_SECONDS: String(SEGMENT_SECONDS) },
});
const changes = [];
let section;
try {
  const playlistUrl = await room.variantUrl(720);
  const playlist = new PlaylistPoller(playlistUrl, 100).start();
  await poll(async () => playlist.fresh.length >= 2, 30_000, 200);
  await sleep(3000);
  const firstPids = room.transcoder.ffmpegPids();
  const tagsAtStart = await tagCount(playlistUrl);
  const progressAtStart = await room.progress();
  // Only what happens from the first change on counts (a quality step while going live is not a stage change).
  const startSeq = Math.max(-1, ...playlist.segments.map((s) => s.seq));
  const changesFrom = Date.now();

  for (let i = 0; i < CHANGES; i++) {
    const join = i % 2 === 0;
    const change = join ? await room.addBot() : await room.removeBot(room.bots[0]);
    const peerId = change.bot.peerId;
    const tiles = room.bots.length;
    const changedAt = change.visibleAt;
    if (changedAt === null) throw new Error(`change ${i + 1}: the stage never showed it`);
    const onAirAt = await poll(
      async () => {
        const layout = (await room.live()).layout;
        const has = layout?.peerIds.includes(peerId) ?? false;
        return layout && layout.tiles === tiles && has === join ? Date.now() : null;
      },
      20_000,
      50,
    );
    const segment = await poll(
      async () => playlist.segments.find((s) => s.programDateTime !== null && s.programDateTime > changedAt),
      20_000,
      50,
    );
    const row = {
      change: i + 1,
      kind: join ? 'join' : 'leave',
      tiles,
      actionToStageMs: changedAt - change.actedAt,
      onAirMs: onAirAt === null ? null : onAirAt - changedAt,
      segmentMs: segment ? segment.seenAt - changedAt : null,
      segmentStartsAfterMs: segment ? segment.programDateTime - changedAt : null,
      segmentListedAfterItsEndMs: segment
        ? Math.round(segment.seenAt - (segment.programDateTime + segment.duration * 1000))
        : null,
      ffmpegPids: room.transcoder.ffmpegPids(),
      // What the transcoder applied after the change (its 'layout on air' log: each command batch).
      batches: room
        .logs(/^layout on air$/)
        .filter((l) => l.time >= changedAt - 200 && l.time <= changedAt + 6000)
        .map((l) => ({ atMs: l.time - changedAt, kind: l.kind, tiles: l.tiles, commands: l.commands })),
    };
    changes.push(row);
    console.log(JSON.stringify(row));
    // Let the change settle (the picture once the bot's key frame is through) before the next.
    await sleep(2500);
  }
  await sleep(SEGMENT_SECONDS * 1000 + 1000);
  playlist.stop();
  const lastPids = room.transcoder.ffmpegPids();
  const progressAtEnd = await room.progress();
  const fresh = playlist.segments.filter((s) => s.seq > startSeq);
  const qualitySteps = room.logs(/quality|restarting FFmpeg|exited unexpectedly/).map((l) => ({
    time: new Date(l.time).toISOString(),
    duringChanges: l.time >= changesFrom,
    msg: l.msg,
    level: l.level,
    verdict: l.verdict,
    behind: l.behind,
    reason: l.reason,
  }));
  const onAir = stats(changes.map((c) => c.onAirMs));
  const segmentStats = stats(changes.map((c) => c.segmentMs));
  section = {
    description: `ingest + one transcoder + bots looping a pre-encoded 640x360 VP8 clip; 2 bots live, then ${CHANGES} changes (join / leave alternating), ${SEGMENT_SECONDS} s segments. From the change being visible in GET /api/rooms/:id stage: (a) live.layout reports it on air; (b) the 720p playlist lists its first segment with PROGRAM-DATE-TIME after the change (polled every 100 ms)`,
    machine,
    code: { atStart: codeAtStart, atEnd: codeVersion() },
    segmentSeconds: SEGMENT_SECONDS,
    changes: changes.length,
    onAirP50Ms: onAir.p50,
    onAirP95Ms: onAir.p95,
    onAirMaxMs: onAir.max,
    segmentP50Ms: segmentStats.p50,
    segmentP95Ms: segmentStats.p95,
    segmentMaxMs: segmentStats.max,
    listedAfterSegmentEndP50Ms: stats(changes.map((c) => c.segmentListedAfterItsEndMs)).p50,
    ffmpegPidsAtStart: firstPids,
    ffmpegPidsAtEnd: lastPids,
    ffmpegPidNeverChanged:
      firstPids.length === 1 &&
      changes.every((c) => JSON.stringify(c.ffmpegPids) === JSON.stringify(firstPids)) &&
      JSON.stringify(lastPids) === JSON.stringify(firstPids),
    ffmpegRuns: progressAtStart && progressAtEnd ? progressAtEnd.session - progressAtStart.session + 1 : null,
    discontinuitiesAdded: fresh.filter((s) => s.discontinuity).length,
    discontinuityTagsInPlaylist: { atStart: tagsAtStart, atEnd: await tagCount(playlistUrl) },
    segmentsSeen: fresh.length,
    qualityAtEnd: progressAtEnd?.quality ?? null,
    qualityLog: qualitySteps,
    goal: `on air within one segment (${SEGMENT_SECONDS * 1000} ms)`,
    onAirGoalMet: onAir.max !== null && onAir.max <= SEGMENT_SECONDS * 1000 && onAir.n === changes.length,
    rows: changes,
  };
} finally {
  await room.close();
}
saveSection('stageChange', section);
console.log(
  markdownTable(
    [section],
    [
      { key: 'onAirP50Ms', label: 'on air p50 (ms)' },
      { key: 'onAirP95Ms', label: 'on air p95 (ms)' },
      { key: 'segmentP50Ms', label: 'first later segment p50 (ms)' },
      { key: 'segmentP95Ms', label: 'first later segment p95 (ms)' },
      { key: 'ffmpegPidNeverChanged', label: 'same FFmpeg' },
      { key: 'discontinuitiesAdded', label: 'discontinuities added' },
    ],
  ),
);
process.exit(0);

async function tagCount(url) {
  const text = await fetch(url).then((r) => r.text());
  return (text.match(/^#EXT-X-DISCONTINUITY$/gm) ?? []).length;
}
