import { describe, expect, it } from 'vitest';
import { getToken, tile } from './testFixtures.js';
import { DEFAULT_LAYOUT, type LayoutChoice, type StageSnapshot, type StageTile } from '@stagecast/protocol';
import { computeLayout, MAX_TILES, type Layout } from './computeLayout.js';
import {
  buildScene,
  cleanLabel,
  escapeOption,
  FILTERS,
  sceneCommands,
  sceneValue,
  type Scene,
  type SlotView,
} from './scene.js';

const layoutOf = (
  tiles: StageTile[],
  speaker: string | null = null,
  choice: Partial<LayoutChoice> = {},
  roomName = 'Launch day',
): Layout => {
  const stage: StageSnapshot = {
    roomName,
    tiles,
    audioProducerIds: [],
    activeSpeakerPeerId: speaker,
    layout: { ...DEFAULT_LAYOUT, ...choice },
    version: 1,
  };
  return computeLayout(stage, 1280, 720);
};
/** Slots as the job sees them: producer → slot, and which slots' pictures reached FFmpeg. */
const slots = (assigned: Record<string, number>, live: number[], videoSlots = 4): SlotView => ({
  videoSlots,
  videoSlotOf: (producerId) => assigned[producerId],
  isLive: (slot) => live.includes(slot),
});
const v = (scene: Scene, target: string, param: string): string => sceneValue(scene, target, param);
const box = (scene: Scene, target: string) => ({
  x: v(scene, target, 'x'),
  y: v(scene, target, 'y'),
  w: v(scene, target, 'w'),
  h: v(scene, target, 'h'),
});
const HIDDEN_BOX = { x: '-4000', y: '-4000', w: '2', h: '2' };
const HIDDEN_LABEL = 'x=-4000:y=-4000';

/** A zmq command as FFmpeg's zmq filter splits it: target, command, argument. */
function parseZmq(command: string): string[] {
  const tokens: string[] = [];
  let at = 0;
  for (let n = 0; n < 3; n++) {
    const { token, next } = getToken(command, at, ' ');
    tokens.push(token);
    at = next;
  }
  expect(at, `all of "${command}" read`).toBe(command.length);
  return tokens;
}
/** An option string (`key=value:key=value`) as av_set_options_string reads it. */
function parseOptions(options: string): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < options.length) {
    const key = getToken(options, at, '=');
    const value = getToken(options, key.next + 1, ':');
    out[key.token] = value.token;
    at = value.next + 1;
  }
  return out;
}

describe('buildScene', () => {
  it('a slate: the room name centred, every slot, card, label and the highlight hidden', () => {
    const scene = buildScene(layoutOf([]), slots({}, [], 2));
    for (let k = 0; k < 2; k++) {
      expect(v(scene, FILTERS.slotScale(k), 'w')).toBe('16');
      expect(v(scene, FILTERS.slotScale(k), 'h')).toBe('16');
      expect(v(scene, FILTERS.slotOverlay(k), 'x')).toBe('-4000');
      expect(v(scene, FILTERS.slotOverlay(k), 'y')).toBe('-4000');
    }
    for (let b = 0; b < MAX_TILES; b++) {
      expect(box(scene, FILTERS.card(b))).toEqual(HIDDEN_BOX);
      expect(v(scene, FILTERS.label(b), 'reinit')).toBe(HIDDEN_LABEL);
    }
    expect(box(scene, FILTERS.highlight)).toEqual(HIDDEN_BOX);
    expect(v(scene, FILTERS.highlight, 't')).toBe('4');
    expect(v(scene, FILTERS.slate, 'reinit')).toBe(
      'text=Launch day:fontsize=60:x=(w-text_w)/2:y=(h-text_h)/2:box=0',
    );
  });

  it('every scene has the same keys, whatever the layout', () => {
    const keys = (scene: Scene) => [...scene.keys()];
    const slate = buildScene(layoutOf([]), slots({}, []));
    const grid = buildScene(layoutOf([tile(0), tile(1), tile(2)], 'p1'), slots({ v0: 0, v1: 1 }, [0]));
    const focus = buildScene(layoutOf([tile(0), tile(1)], 'p1'), slots({ v0: 0, v1: 1 }, [0, 1]));
    expect(keys(grid)).toEqual(keys(slate));
    expect(keys(focus)).toEqual(keys(slate));
    // Slots (4 each), cards (4), labels, highlight (5), slate, frame steps (2), lower-third
    // (box and accent 4 each, name and 3 lines).
    expect(slate.size).toBe(4 * 4 + 4 * MAX_TILES + MAX_TILES + 5 + 1 + 2 + 8 + 4);
    expect(() => sceneValue(slate, 'scale@vs9', 'w')).toThrow(/lacks/);
  });

  it('a frame-rate step switches one framestep filter on; full rate has both off', () => {
    const at = (n: 1 | 2 | 3) => buildScene(layoutOf([tile(0)]), slots({ v0: 0 }, [0]), n);
    expect(sceneCommands(at(1), at(2))).toEqual(['framestep@fs2 enable 1']);
    expect(sceneCommands(at(2), at(3))).toEqual(['framestep@fs2 enable 0', 'framestep@fs3 enable 1']);
    expect(sceneCommands(at(3), at(1))).toEqual(['framestep@fs3 enable 0']);
  });

  describe('a 4-tile grid: two live pictures, one slot still waiting, one camera off', () => {
    const layout = layoutOf([tile(0), tile(1), tile(2, { videoProducerId: null }), tile(3)], 'p3', {
      mode: 'grid',
    });
    // Slot 1 has v1 but no key frame yet; slot 3 is live but not in the picture.
    const scene = buildScene(layout, slots({ v0: 0, v1: 1, v3: 2, gone: 3 }, [0, 2, 3]));
    const [b0, b1, b2, b3] = layout.boxes;

    it('the layout is the one expected', () => {
      expect(layout.kind).toBe('grid');
      expect(layout.boxes.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([
        { x: 26, y: 12, w: 608, h: 342 },
        { x: 646, y: 12, w: 608, h: 342 },
        { x: 26, y: 366, w: 608, h: 342 },
        { x: 646, y: 366, w: 608, h: 342 },
      ]);
    });

    it('a live slot is scaled into its box and centred there; its card is hidden', () => {
      expect(v(scene, FILTERS.slotScale(0), 'w')).toBe('608');
      expect(v(scene, FILTERS.slotScale(0), 'h')).toBe('342');
      expect(v(scene, FILTERS.slotOverlay(0), 'x')).toBe('26+(608-overlay_w)/2');
      expect(v(scene, FILTERS.slotOverlay(0), 'y')).toBe('12+(342-overlay_h)/2');
      expect(v(scene, FILTERS.slotOverlay(2), 'x')).toBe(`${b3!.x}+(${b3!.w}-overlay_w)/2`);
      expect(v(scene, FILTERS.slotOverlay(2), 'y')).toBe(`${b3!.y}+(${b3!.h}-overlay_h)/2`);
      expect(box(scene, FILTERS.card(0))).toEqual(HIDDEN_BOX);
      expect(box(scene, FILTERS.card(3))).toEqual(HIDDEN_BOX);
    });

    it('a live picture has its name small at the bottom left, on a box', () => {
      expect(v(scene, FILTERS.label(0), 'reinit')).toBe(
        'text=Person 0:fontsize=28:x=40:y=298:box=1:boxborderw=6',
      );
      expect(v(scene, FILTERS.label(3), 'reinit')).toBe(
        `text=Person 3:fontsize=28:x=${b3!.x + 14}:y=${b3!.y + 298 - 12}:box=1:boxborderw=6`,
      );
    });

    it('a slot not yet live (and a camera off) shows the card and the name centred; the slot stays hidden', () => {
      expect(v(scene, FILTERS.slotScale(1), 'w')).toBe('16');
      expect(v(scene, FILTERS.slotOverlay(1), 'x')).toBe('-4000');
      for (const [b, at] of [
        [1, b1!],
        [2, b2!],
      ] as const) {
        expect(box(scene, FILTERS.card(b))).toEqual({
          x: `${at.x}`,
          y: `${at.y}`,
          w: `${at.w}`,
          h: `${at.h}`,
        });
        expect(v(scene, FILTERS.label(b), 'reinit')).toBe(
          `text=Person ${b}:fontsize=48:x=${at.x}+(${at.w}-text_w)/2:y=${at.y}+(${at.h}-text_h)/2:box=0`,
        );
      }
    });

    it('a live slot that is not in the layout is hidden', () => {
      expect(v(scene, FILTERS.slotScale(3), 'w')).toBe('16');
      expect(v(scene, FILTERS.slotScale(3), 'h')).toBe('16');
      expect(v(scene, FILTERS.slotOverlay(3), 'x')).toBe('-4000');
      expect(v(scene, FILTERS.slotOverlay(3), 'y')).toBe('-4000');
    });

    it('boxes beyond the layout: card and label hidden', () => {
      for (let b = 4; b < MAX_TILES; b++) {
        expect(box(scene, FILTERS.card(b))).toEqual(HIDDEN_BOX);
        expect(v(scene, FILTERS.label(b), 'reinit')).toBe(HIDDEN_LABEL);
      }
      expect(v(scene, FILTERS.slate, 'reinit')).toBe(HIDDEN_LABEL);
    });

    it("the speaker's tile has the border", () => {
      expect(b0!.highlighted || b1!.highlighted || b2!.highlighted).toBe(false);
      expect(box(scene, FILTERS.highlight)).toEqual({
        x: `${b3!.x}`,
        y: `${b3!.y}`,
        w: `${b3!.w}`,
        h: `${b3!.h}`,
      });
      expect(v(scene, FILTERS.highlight, 't')).toBe('4');
    });
  });

  it('the border grows with the tile, and is hidden when the speaker is the large tile', () => {
    const one = buildScene(layoutOf([tile(0)], 'p0'), slots({ v0: 0 }, [0]));
    expect(box(one, FILTERS.highlight)).toEqual({ x: '22', y: '12', w: '1236', h: '696' });
    expect(v(one, FILTERS.highlight, 't')).toBe('10');
    const large = buildScene(layoutOf([tile(0), tile(1)], 'p0'), slots({ v0: 0, v1: 1 }, [0, 1]));
    expect(box(large, FILTERS.highlight)).toEqual(HIDDEN_BOX);
    expect(v(large, FILTERS.highlight, 't')).toBe('4');
  });

  it('names are cleaned; an empty name is "Guest", an empty room "Stagecast"', () => {
    const scene = buildScene(
      layoutOf([tile(0, { name: ' \n ' }), tile(1, { name: 'Ann\r\nLee' })], null, {}, ''),
      slots({}, []),
    );
    expect(v(scene, FILTERS.label(0), 'reinit')).toMatch(/^text=Guest:/);
    expect(v(scene, FILTERS.label(1), 'reinit')).toMatch(/^text=Ann Lee:/);
    const slate = buildScene(layoutOf([], null, {}, '\t'), slots({}, []));
    expect(v(slate, FILTERS.slate, 'reinit')).toMatch(/^text=Stagecast:/);
  });
});

describe('sceneCommands', () => {
  const layout = layoutOf([tile(0), tile(1)]);
  const before = buildScene(layout, slots({ v0: 0, v1: 1 }, [0]));
  const after = buildScene(layout, slots({ v0: 0, v1: 1 }, [0, 1]));

  it('from nothing: every key, in the scene order', () => {
    const commands = sceneCommands(null, before);
    expect(commands).toHaveLength(before.size);
    expect(commands.map((c) => parseZmq(c).slice(0, 2).join(' '))).toEqual([...before.keys()]);
  });

  it('equal scenes: nothing to send', () => {
    expect(sceneCommands(before, before)).toEqual([]);
    expect(sceneCommands(before, buildScene(layout, slots({ v0: 0, v1: 1 }, [0])))).toEqual([]);
  });

  it('only the keys that changed: a slot going live shows its picture instead of its card', () => {
    const commands = sceneCommands(before, after);
    const b1 = layout.boxes[1]!;
    expect(commands).toEqual([
      `scale@vs1 w ${b1.w}`,
      `scale@vs1 h ${b1.h}`,
      `overlay@vo1 x ${b1.x}+(${b1.w}-overlay_w)/2`,
      `overlay@vo1 y ${b1.y}+(${b1.h}-overlay_h)/2`,
      'drawbox@card1 x -4000',
      'drawbox@card1 y -4000',
      'drawbox@card1 w 2',
      'drawbox@card1 h 2',
      expect.stringMatching(/^drawtext@label1 reinit text=Person\\ 1:fontsize=/),
    ]);
    // Each command is target, command and one argument for the zmq filter.
    for (const command of commands) expect(parseZmq(command)).toHaveLength(3);
  });

  it("escapes a name twice: inside drawtext's options, then for the zmq filter", () => {
    const name = "Bob: it's \\ 100% =x";
    const scene = buildScene(layoutOf([tile(0, { name })]), slots({}, []));
    const reinit = v(scene, FILTERS.label(0), 'reinit');
    expect(reinit.startsWith("text=Bob\\: it\\'s \\\\ 100% =x:fontsize=")).toBe(true);
    const command = sceneCommands(null, scene).find((c) => c.startsWith('drawtext@label0 '));
    expect(
      command?.startsWith(
        "drawtext@label0 reinit text=Bob\\\\:\\ it\\\\\\'s\\ \\\\\\\\\\ 100%\\ =x:fontsize=",
      ),
    ).toBe(true);
    // Read back as FFmpeg does: the zmq token, then drawtext's options.
    const [target, cmd, arg] = parseZmq(command ?? '');
    expect([target, cmd, arg]).toEqual(['drawtext@label0', 'reinit', reinit]);
    const options = parseOptions(arg!);
    expect(options.text).toBe(name);
    expect(Object.keys(options)).toEqual(['text', 'fontsize', 'x', 'y', 'box']);
  });

  it('names with quotes, colons and trailing spaces survive both levels', () => {
    for (const name of ["'", "a''b", 'x:y:z', '\\\\', "O'Neil: [a];b, c", 'end\\']) {
      const scene = buildScene(layoutOf([tile(0, { name })]), slots({}, []));
      const command = sceneCommands(null, scene).find((c) => c.startsWith('drawtext@label0 ')) ?? '';
      expect(parseOptions(parseZmq(command)[2]!).text, name).toBe(name);
    }
  });
});

describe('escapeOption', () => {
  it('escapes backslashes, quotes and colons only', () => {
    expect(escapeOption("a\\b'c:d=e,f;g[h] %")).toBe("a\\\\b\\'c\\:d=e,f;g[h] %");
  });
});

describe('cleanLabel', () => {
  it('control and format characters become single spaces, trimmed', () => {
    expect(cleanLabel('  Ann\n\u0007Lee  ', 'Guest')).toBe('Ann Lee');
    expect(cleanLabel('a\tb\u2028c\u2029d\u200be\u202ef', 'Guest')).toBe('a b c d e f');
    expect(cleanLabel('x\u0000\u001b[31my', 'Guest')).toBe('x [31my');
  });

  it('long names are cut to 40 characters, the last one …', () => {
    expect(cleanLabel('x'.repeat(40), 'Guest')).toBe('x'.repeat(40));
    const cut = cleanLabel('y'.repeat(41), 'Guest');
    expect(cut).toBe(`${'y'.repeat(39)}…`);
    expect(Array.from(cleanLabel('z'.repeat(300), 'Guest'))).toHaveLength(40);
  });

  it('counts characters, not UTF-16 units (an emoji is never cut in half)', () => {
    const name = '😀'.repeat(45);
    const cut = cleanLabel(name, 'Guest');
    expect(cut).toBe(`${'😀'.repeat(39)}…`);
    expect(cleanLabel('😀'.repeat(40), 'Guest')).toBe('😀'.repeat(40));
  });

  it('empty, or nothing but spaces and control characters: the fallback', () => {
    expect(cleanLabel('', 'Guest')).toBe('Guest');
    expect(cleanLabel(' \n\t\u0007 ', 'Guest')).toBe('Guest');
    expect(cleanLabel('', 'Stagecast')).toBe('Stagecast');
  });
});
