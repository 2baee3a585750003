import { describe, expect, it } from 'vitest';
import {
  lastPosition,
  parseMediaPlaylist,
  renderMediaPlaylist,
  renditionReport,
  satisfies,
  skippableSegments,
  tooFarAhead,
  type MediaPlaylist,
} from './mediaPlaylist.js';
import { rungsOfMaster } from './HlsOrigin.js';

/** Segments 10..13 of 2 s with four 0.5 s parts, the last two still listing them; two parts of 14. */
function llPlaylist(extra: string[] = []): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,CAN-SKIP-UNTIL=3',
    '#EXT-X-PART-INF:PART-TARGET=0.5',
    '#EXT-X-MEDIA-SEQUENCE:10',
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (let msn = 10; msn <= 13; msn++) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:${String(msn * 2).padStart(2, '0')}.000Z`);
    if (msn >= 12)
      for (let p = 0; p < 4; p++)
        lines.push(`#EXT-X-PART:DURATION=0.5,URI="b-${msn}.${p}.m4s"${p === 0 ? ',INDEPENDENT=YES' : ''}`);
    lines.push('#EXTINF:2.000,', `b-${msn}.m4s`);
  }
  lines.push('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:28.000Z');
  lines.push('#EXT-X-PART:DURATION=0.5,URI="b-14.0.m4s",INDEPENDENT=YES');
  lines.push('#EXT-X-PART:DURATION=0.5,URI="b-14.1.m4s"');
  lines.push(...extra, '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="b-14.2.m4s"');
  return `${lines.join('\n')}\n`;
}

function parsed(text = llPlaylist()): MediaPlaylist {
  const playlist = parseMediaPlaylist(text);
  if (!playlist) throw new Error('not parsed');
  return playlist;
}

describe('parseMediaPlaylist', () => {
  it('reads segments, parts, the in-progress tail and the hint', () => {
    const p = parsed();
    expect(p.targetDuration).toBe(2);
    expect(p.partTarget).toBe(0.5);
    expect(p.canSkipUntil).toBe(3);
    expect(p.segments.map((s) => [s.msn, s.parts])).toEqual([
      [10, 0],
      [11, 0],
      [12, 4],
      [13, 4],
    ]);
    expect(p.tailParts).toBe(2);
    expect(p.preloadHint).toBe('b-14.2.m4s');
    expect(p.ended).toBe(false);
    expect(lastPosition(p)).toEqual({ msn: 14, part: 1 });
  });

  it('renders the writer’s playlist back line for line, without its rendition reports', () => {
    const text = llPlaylist(['#EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8",LAST-MSN=1']);
    expect(renderMediaPlaylist(parsed(text), { skip: false, reports: [] })).toBe(llPlaylist());
  });

  it('refuses what is not a media playlist', () => {
    expect(parseMediaPlaylist('')).toBeNull();
    expect(
      parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.m4s\n#EXTINF:2'),
    ).not.toBeNull();
    expect(parseMediaPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n')).toBeNull();
    expect(parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.m4s\nb.m4s\n')).toBeNull();
  });

  it('knows an ended playlist', () => {
    const p = parsed('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.m4s\n#EXT-X-ENDLIST\n');
    expect(p.ended).toBe(true);
    expect(lastPosition(p)).toEqual({ msn: 0, part: -1 });
    expect(renderMediaPlaylist(p, { skip: true, reports: ['#X'] })).toContain('#EXT-X-ENDLIST\n#X\n');
  });
});

describe('blocking reload decisions', () => {
  const p = parsed();

  it('is satisfied by the part asked for or anything later', () => {
    expect(satisfies(p, 14, 1)).toBe(true);
    expect(satisfies(p, 14, 2)).toBe(false);
    expect(satisfies(p, 13, 3)).toBe(true);
    // Past the last part of a complete segment: part 0 of the next one, which exists.
    expect(satisfies(p, 13, 4)).toBe(true);
    expect(satisfies(p, 10, 9)).toBe(true);
    expect(satisfies(p, 15, 0)).toBe(false);
  });

  it('asks for complete segments without a part', () => {
    expect(satisfies(p, 13, undefined)).toBe(true);
    expect(satisfies(p, 14, undefined)).toBe(false);
  });

  it('refuses more than two segments ahead, or parts past the Advance Part Limit', () => {
    expect(tooFarAhead(p, 16, undefined)).toBeNull();
    expect(tooFarAhead(p, 17, undefined)).toMatch(/more than two segments/);
    // 3 / 0.5 s = 6 parts past the last one (part 1).
    expect(tooFarAhead(p, 14, 7)).toBeNull();
    expect(tooFarAhead(p, 14, 8)).toMatch(/parts past/);
  });
});

describe('delta updates and rendition reports', () => {
  it('skips the segments wholly past CAN-SKIP-UNTIL and keeps what applies to the rest', () => {
    const p = parsed();
    // 3 s skip boundary: 10 and 11 end more than 3 s before the end and go; 12 and 13 stay.
    expect(skippableSegments(p)).toBe(2);
    const delta = renderMediaPlaylist(p, { skip: true, reports: [] });
    expect(delta).toContain('#EXT-X-MEDIA-SEQUENCE:10\n');
    // The MAP stood before segment 10: it is repeated for the segments kept.
    expect(delta).toContain(
      '#EXT-X-SKIP:SKIPPED-SEGMENTS=2\n#EXT-X-MAP:URI="init.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:24.000Z',
    );
    expect(delta).not.toContain('b-10.m4s');
    expect(delta).not.toContain('b-11.m4s');
    expect(delta).toContain('#EXTINF:2.000,\nb-12.m4s');
    expect(delta.trim().split('\n').at(-1)).toBe('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="b-14.2.m4s"');
  });

  it('repeats the newest MAP among the skipped segments', () => {
    const text = llPlaylist()
      .replace('#EXT-X-MAP:URI="init.mp4"\n', '')
      .replace('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:20', '#EXT-X-MAP:URI="init-2.mp4"\n$&');
    const delta = renderMediaPlaylist(parsed(text), { skip: true, reports: [] });
    expect(delta).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=2\n#EXT-X-MAP:URI="init-2.mp4"\n');
  });

  it('skips nothing without CAN-SKIP-UNTIL', () => {
    const p = parsed(llPlaylist().replace(',CAN-SKIP-UNTIL=3', ''));
    expect(renderMediaPlaylist(p, { skip: true, reports: [] })).not.toContain('EXT-X-SKIP');
  });

  it('reports the last part of another rendition', () => {
    expect(renditionReport('../360p/index.m3u8', parsed())).toBe(
      '#EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8",LAST-MSN=14,LAST-PART=1',
    );
    const rendered = renderMediaPlaylist(parsed(), { skip: false, reports: ['#R1', '#R2'] });
    expect(rendered.endsWith('b-14.2.m4s"\n#R1\n#R2\n')).toBe(true);
  });

  it('reads the rungs of a master playlist', () => {
    const master =
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\n360p/index.m3u8\n../x/index.m3u8\n';
    expect(rungsOfMaster(master)).toEqual(['720p', '360p']);
  });
});

describe('a DVR window (hundreds of segments)', () => {
  it('DVR: a delta update of a 30 min live playlist lists only the last 12 s and the MAP', () => {
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,CAN-SKIP-UNTIL=12',
      '#EXT-X-PART-INF:PART-TARGET=0.5',
      '#EXT-X-MEDIA-SEQUENCE:100',
      '#EXT-X-DISCONTINUITY-SEQUENCE:0',
    ];
    for (let i = 0; i < 900; i++) {
      if (i === 0) lines.push('#EXT-X-MAP:URI="b-init0.mp4"');
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Date.UTC(2030, 0, 1) + i * 2000).toISOString()}`);
      if (i >= 897)
        for (let p = 0; p < 4; p++) lines.push(`#EXT-X-PART:DURATION=0.500,URI="b-p${i * 4 + p}.m4s"`);
      lines.push('#EXTINF:2.000,', `b-${100 + i}.m4s`);
    }
    lines.push('#EXT-X-PART:DURATION=0.500,URI="b-p3600.m4s",INDEPENDENT=YES');
    lines.push('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="b-p3601.m4s"');
    const full = parsed(`${lines.join('\n')}\n`);
    expect(full.segments).toHaveLength(900);
    // Segments wholly more than 12 s before the end are left out: all but the last seven.
    expect(skippableSegments(full)).toBe(893);
    const delta = renderMediaPlaylist(full, { skip: true, reports: [] });
    expect(delta).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=893\n#EXT-X-MAP:URI="b-init0.mp4"\n');
    expect(delta.split('\n').filter((l) => /^b-\d+\.m4s$/.test(l))).toEqual(
      Array.from({ length: 7 }, (_, i) => `b-${993 + i}.m4s`),
    );
    expect(delta.length).toBeLessThan(renderMediaPlaylist(full, { skip: false, reports: [] }).length / 20);
  });
});
