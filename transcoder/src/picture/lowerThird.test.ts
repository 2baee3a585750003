import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT, type LowerThird, type StageSnapshot } from '@stagecast/protocol';
import { getToken, tile } from './testFixtures.js';
import { computeLayout, onAirOf } from './computeLayout.js';
import { buildScene, FILTERS, LOWER_THIRD_LINES, sceneCommands, sceneValue, wrapText } from './scene.js';
import { buildFilterGraph } from '../ffmpeg/buildFfmpegArgs.js';
import { ingestMessageSchema } from '../core/schemas.js';

const stage = (lowerThird?: LowerThird | null): StageSnapshot => ({
  roomName: 'Town hall',
  tiles: [tile(0)],
  audioProducerIds: [],
  activeSpeakerPeerId: null,
  layout: DEFAULT_LAYOUT,
  version: 1,
  ...(lowerThird === undefined ? {} : { lowerThird }),
});
const slots = {
  videoSlots: 2,
  videoSlotOf: (id: string) => (id === 'v0' ? 0 : undefined),
  isLive: () => true,
};
const sceneOf = (lowerThird?: LowerThird | null) =>
  buildScene(computeLayout(stage(lowerThird), 1280, 720), slots);
const v = (scene: Map<string, string>, target: string, param: string) => sceneValue(scene, target, param);
const HIDDEN_BOX = { x: '-4000', y: '-4000', w: '2', h: '2' };
const box = (scene: Map<string, string>, target: string) => ({
  x: v(scene, target, 'x'),
  y: v(scene, target, 'y'),
  w: v(scene, target, 'w'),
  h: v(scene, target, 'h'),
});
const question: LowerThird = { text: 'Will the recording be shared with everyone afterwards?', name: 'Vik' };

describe('the lower-third of the highlighted question (upvote Q&A)', () => {
  it('hidden when no question is highlighted (absent or null): boxes off the picture, texts too', () => {
    for (const scene of [sceneOf(), sceneOf(null)]) {
      expect(box(scene, FILTERS.lowerThirdBox)).toEqual(HIDDEN_BOX);
      expect(box(scene, FILTERS.lowerThirdAccent)).toEqual(HIDDEN_BOX);
      expect(v(scene, FILTERS.lowerThirdName, 'reinit')).toBe('x=-4000:y=-4000');
      for (let i = 0; i < LOWER_THIRD_LINES; i++)
        expect(v(scene, FILTERS.lowerThirdLine(i), 'reinit')).toBe('x=-4000:y=-4000');
    }
    expect(onAirOf(computeLayout(stage(null), 1280, 720)).lowerThird).toBeUndefined();
  });

  it('a highlighted question: a box over the bottom of the picture, the asker and one line of text', () => {
    const scene = sceneOf(question);
    expect(box(scene, FILTERS.lowerThirdBox)).toEqual({ x: '32', y: '602', w: '1216', h: '86' });
    expect(box(scene, FILTERS.lowerThirdAccent)).toEqual({ x: '32', y: '602', w: '8', h: '86' });
    expect(v(scene, FILTERS.lowerThirdName, 'reinit')).toBe(
      'text=Vik:fontsize=20:x=54:y=616:box=0:fontcolor=0x79c0ff',
    );
    expect(v(scene, FILTERS.lowerThirdLine(0), 'reinit')).toBe(
      'text=Will the recording be shared with everyone afterwards?:fontsize=30:x=54:y=642:box=0',
    );
    expect(v(scene, FILTERS.lowerThirdLine(1), 'reinit')).toBe('x=-4000:y=-4000');
    expect(onAirOf(computeLayout(stage(question), 1280, 720)).lowerThird).toBe(question.text);
  });

  it('a long question wraps onto at most three lines and the box grows upwards; the rest is cut with …', () => {
    const long = { text: `${'word '.repeat(80)}end`, name: 'A' };
    const scene = sceneOf(long);
    const lines = [0, 1, 2].map((i) => v(scene, FILTERS.lowerThirdLine(i), 'reinit'));
    for (const line of lines) expect(line).toMatch(/^text=word/);
    expect(lines[2]).toMatch(/…:fontsize/);
    expect(box(scene, FILTERS.lowerThirdBox).h).toBe('162');
    expect(Number(box(scene, FILTERS.lowerThirdBox).y) + 162).toBe(720 - 32);
  });

  it('wrapText: words kept whole, long words cut, ellipsis on the last line', () => {
    expect(wrapText('one two three', 7, 3)).toEqual(['one two', 'three']);
    expect(wrapText('abcdefghij', 4, 3)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('a b c d e f', 3, 2)).toEqual(['a b', 'c …']);
    expect(wrapText('', 10, 3)).toEqual([]);
  });

  it('turning it on and off is a set of zmq commands on the lower-third filters only', () => {
    const off = sceneOf(null);
    const on = sceneOf(question);
    const commands = sceneCommands(off, on);
    expect(commands.length).toBeGreaterThan(0);
    const targets = new Set(commands.map((c) => c.split(' ')[0]));
    expect([...targets].sort()).toEqual(
      [
        FILTERS.lowerThirdAccent,
        FILTERS.lowerThirdBox,
        FILTERS.lowerThirdLine(0),
        FILTERS.lowerThirdName,
      ].sort(),
    );
    // One zmq token per argument, spaces of the question escaped: the text arrives whole.
    const line = commands.find((c) => c.startsWith(`${FILTERS.lowerThirdLine(0)} reinit `)) ?? '';
    const first = getToken(line, 0, ' ');
    const second = getToken(line, first.next + 1, ' ');
    const arg = getToken(line, second.next + 1, ' ');
    expect(arg.next).toBe(line.length);
    expect(arg.token).toBe(v(on, FILTERS.lowerThirdLine(0), 'reinit'));
    // And back: the same filters, hidden again.
    const back = sceneCommands(on, off);
    expect(new Set(back.map((c) => c.split(' ')[0]))).toEqual(targets);
    expect(back).toContain(`${FILTERS.lowerThirdBox} x -4000`);
    // A question with quotes and colons is escaped for the option string and the command.
    const tricky = sceneOf({ text: "It's 10:30 \\ now", name: "O'Neil" });
    expect(v(tricky, FILTERS.lowerThirdLine(0), 'reinit')).toContain("text=It\\'s 10\\:30 \\\\ now:");
  });

  it('the graph has the lower-third filters, named, after the labels and before the slate', () => {
    const graph = buildFilterGraph(
      {
        ladder: [{ name: '720p', width: 1280, height: 720, videoKbps: 2800, audioKbps: 128 }],
        frameRate: 30,
        segmentSeconds: 2,
        burnClock: false,
        slots: { video: 2, audio: 2 },
      },
      sceneOf(question),
      5555,
    );
    const at = (name: string) => graph.indexOf(`${name}=`);
    expect(at(FILTERS.lowerThirdBox)).toBeGreaterThan(at(FILTERS.highlight));
    expect(at(FILTERS.lowerThirdAccent)).toBeGreaterThan(at(FILTERS.lowerThirdBox));
    expect(at(FILTERS.lowerThirdName)).toBeGreaterThan(at(FILTERS.lowerThirdAccent));
    expect(at(FILTERS.slate)).toBeGreaterThan(at(FILTERS.lowerThirdLine(2)));
    expect(graph).toContain('drawbox@lt=x=32:y=602:w=1216:h=86:color=black@0.75:t=fill');
  });

  it('the compositor accepts a stage snapshot with a lower-third, and one without (older ingest)', () => {
    const accepts = (s: StageSnapshot) =>
      ingestMessageSchema.safeParse({ type: 'stage', roomId: 'r', epoch: 1, stage: s }).success;
    expect(accepts(stage(question))).toBe(true);
    expect(accepts(stage())).toBe(true);
    expect(accepts(stage({ text: 'x'.repeat(601), name: 'A' }))).toBe(false);
  });
});
