import type { Layout, TileBox } from './computeLayout.js';
import { MAX_TILES } from './computeLayout.js';
import type { FrameStep } from '../quality/quality.js';

/**
 * Every runtime parameter of the compositor's filter graph, as `"<filter> <param>"` →
 * value. FFmpeg starts with a scene baked into its graph (`buildFilterGraph`); a stage change
 * is the difference between two scenes, sent as zmq commands (`sceneCommands`).
 */
export type Scene = Map<string, string>;

/** Names of the graph's commandable filters (FFmpeg's `filter@name` instances). */
export const FILTERS = {
  /** Scales video slot `k` into its tile. */
  slotScale: (k: number) => `scale@vs${k}`,
  /** Places video slot `k` on the picture. */
  slotOverlay: (k: number) => `overlay@vo${k}`,
  /** The tile background of box `b`, shown while it has no picture. */
  card: (b: number) => `drawbox@card${b}`,
  /** The name of box `b`. */
  label: (b: number) => `drawtext@label${b}`,
  /** The speaker's border. */
  highlight: 'drawbox@hl',
  /** The room name on an empty stage. */
  slate: 'drawtext@slate',
  /** Keep every n-th frame (n = 2, 3) when on: the lower quality steps. */
  frameStep: (n: 2 | 3) => `framestep@fs${n}`,
  /** The lower-third's background (the highlighted question). */
  lowerThirdBox: 'drawbox@lt',
  /** The lower-third's accent bar on its left edge. */
  lowerThirdAccent: 'drawbox@lta',
  /** Who asked the highlighted question. */
  lowerThirdName: 'drawtext@ltn',
  /** Line `i` of the highlighted question. */
  lowerThirdLine: (i: number) => `drawtext@ltq${i}`,
} as const;

/** Lines of the lower-third: a longer question is cut with an ellipsis. */
export const LOWER_THIRD_LINES = 3;
/** The lower-third's colours: a dark translucent box, a blue accent and name. */
export const LOWER_THIRD_COLOR = 'black@0.75';
export const LOWER_THIRD_ACCENT = '0x1f6feb';
export const LOWER_THIRD_NAME_COLOR = '0x79c0ff';

/** Off the picture: hidden filters still run, but draw nothing (overlay and drawbox clip). */
const HIDDEN = -4000;
/** What a hidden slot is scaled to (its filler or stale picture is never seen). */
const HIDDEN_SLOT = 16;
/** The speaker's border colour. */
export const HIGHLIGHT_COLOR = '0x3fb950';

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Names are user input: one line, printable, short (`max` code points). */
export function cleanLabel(text: string, fallback: string, max = 40): string {
  const clean = Array.from(
    text
      .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return clean.length === 0
    ? fallback
    : clean.length > max
      ? `${clean.slice(0, max - 1).join('')}…`
      : clean.join('');
}

/** Escapes a value inside a filter's option string (`key=value:key=value`). */
export const escapeOption = (value: string): string => value.replace(/[\\':]/g, (c) => `\\${c}`);

/** What the scene needs to know about the slots: which one carries a producer, and whether its picture is there. */
export interface SlotView {
  videoSlotOf(producerId: string): number | undefined;
  isLive(slot: number): boolean;
  videoSlots: number;
}

function drawtext(text: string, size: number, x: string, y: string, boxed: boolean): string {
  const box = boxed ? `1:boxborderw=${even(size / 4)}` : '0';
  return `text=${escapeOption(text)}:fontsize=${size}:x=${x}:y=${y}:box=${box}`;
}

/** A drawbox off the picture (a size of 0 or less would mean the whole frame to drawbox). */
function hideBox(scene: Scene, target: string): void {
  placeBox(scene, target, { x: HIDDEN, y: HIDDEN, w: 2, h: 2 });
}

function placeBox(scene: Scene, target: string, r: { x: number; y: number; w: number; h: number }): void {
  scene.set(`${target} x`, String(r.x));
  scene.set(`${target} y`, String(r.y));
  scene.set(`${target} w`, String(r.w));
  scene.set(`${target} h`, String(r.h));
}

/** The label of a tile: bottom-left over a picture, centred on a card. */
function label(box: TileBox, withPicture: boolean): string {
  const name = cleanLabel(box.tile.name, 'Guest');
  if (withPicture) {
    const size = even(Math.min(32, Math.max(14, box.h / 12)));
    const pad = even(size / 2);
    return drawtext(name, size, String(box.x + pad), String(box.y + box.h - size - 2 * pad), true);
  }
  const size = even(Math.min(64, Math.max(18, box.h / 7)));
  return drawtext(name, size, `${box.x}+(${box.w}-text_w)/2`, `${box.y}+(${box.h}-text_h)/2`, false);
}

/**
 * The scene of a layout, at a quality step's frame rate. A tile shows its picture once its slot
 * is live (the first key frame reached FFmpeg); until then it shows its card and name, so
 * nobody appears as a black box.
 */
export function buildScene(layout: Layout, slots: SlotView, frameStep: FrameStep = 1): Scene {
  const scene: Scene = new Map();
  // `enable` is the timeline switch every such filter has: off, frames pass untouched.
  for (const n of [2, 3] as const) scene.set(`${FILTERS.frameStep(n)} enable`, frameStep === n ? '1' : '0');
  const shown = new Map<number, TileBox>();
  layout.boxes.forEach((box) => {
    const slot = box.tile.videoProducerId === null ? undefined : slots.videoSlotOf(box.tile.videoProducerId);
    if (slot !== undefined && slots.isLive(slot)) shown.set(slot, box);
  });
  for (let k = 0; k < slots.videoSlots; k++) {
    const box = shown.get(k);
    scene.set(`${FILTERS.slotScale(k)} w`, String(box ? box.w : HIDDEN_SLOT));
    scene.set(`${FILTERS.slotScale(k)} h`, String(box ? box.h : HIDDEN_SLOT));
    // Centred in the tile whatever the source's shape (overlay_w is the scaled picture's width).
    scene.set(`${FILTERS.slotOverlay(k)} x`, box ? `${box.x}+(${box.w}-overlay_w)/2` : String(HIDDEN));
    scene.set(`${FILTERS.slotOverlay(k)} y`, box ? `${box.y}+(${box.h}-overlay_h)/2` : String(HIDDEN));
  }
  const withPicture = new Set(shown.values());
  for (let b = 0; b < MAX_TILES; b++) {
    const box = layout.boxes[b];
    if (box && !withPicture.has(box)) placeBox(scene, FILTERS.card(b), box);
    else hideBox(scene, FILTERS.card(b));
    scene.set(
      `${FILTERS.label(b)} reinit`,
      box ? label(box, withPicture.has(box)) : `x=${HIDDEN}:y=${HIDDEN}`,
    );
  }
  const speaker = layout.boxes.find((b) => b.highlighted);
  if (speaker) {
    placeBox(scene, FILTERS.highlight, speaker);
    scene.set(`${FILTERS.highlight} t`, String(even(Math.max(4, speaker.w / 120))));
  } else {
    hideBox(scene, FILTERS.highlight);
    scene.set(`${FILTERS.highlight} t`, '4');
  }
  lowerThird(scene, layout);
  const roomSize = even(layout.height / 12);
  scene.set(
    `${FILTERS.slate} reinit`,
    layout.kind === 'slate'
      ? drawtext(cleanLabel(layout.roomName, 'Stagecast'), roomSize, '(w-text_w)/2', '(h-text_h)/2', false)
      : `x=${HIDDEN}:y=${HIDDEN}`,
  );
  return scene;
}

/**
 * Word-wraps one line of text into at most `maxLines` lines of `width` code points; what does
 * not fit ends with an ellipsis. Words longer than a line are cut.
 */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const lines: string[][] = [];
  let line: string[] = [];
  for (const word of text.split(' ').filter((w) => w !== '')) {
    let chars = Array.from(word);
    while (chars.length > 0) {
      const room = line.length === 0 ? width : width - line.length - 1;
      if (chars.length <= room) {
        if (line.length > 0) line.push(' ');
        line.push(...chars);
        chars = [];
      } else if (line.length === 0) {
        line = chars.slice(0, width);
        chars = chars.slice(width);
        lines.push(line);
        line = [];
      } else {
        lines.push(line);
        line = [];
      }
    }
  }
  if (line.length > 0) lines.push(line);
  if (lines.length > maxLines) {
    const last = lines[maxLines - 1] ?? [];
    lines.length = maxLines;
    lines[maxLines - 1] = [...last.slice(0, Math.max(0, width - 1)), '…'];
  }
  return lines.map((l) => l.join(''));
}

/**
 * The lower-third: the highlighted question over the bottom of the picture, in a box as wide
 * as the picture (less margins) and as tall as its lines. Hidden (off the picture) when none.
 */
function lowerThird(scene: Scene, layout: Layout): void {
  const lines = Array.from({ length: LOWER_THIRD_LINES }, (_, i) => FILTERS.lowerThirdLine(i));
  const question = layout.lowerThird;
  if (!question) {
    hideBox(scene, FILTERS.lowerThirdBox);
    hideBox(scene, FILTERS.lowerThirdAccent);
    scene.set(`${FILTERS.lowerThirdName} reinit`, `x=${HIDDEN}:y=${HIDDEN}`);
    for (const line of lines) scene.set(`${line} reinit`, `x=${HIDDEN}:y=${HIDDEN}`);
    return;
  }
  const { width, height } = layout;
  const margin = even(width / 40);
  const pad = even(height / 48);
  const accent = even(width / 160);
  const size = even(height / 24);
  const nameSize = even(height / 36);
  const lineHeight = even(size * 1.3);
  const left = margin + accent + pad;
  // About 0.55 em per character of a sans font: a conservative fit for the box's width.
  const perLine = Math.max(10, Math.floor((width - 2 * margin - accent - 2 * pad) / (size * 0.55)));
  const text = wrapText(cleanLabel(question.text, '?', 600), perLine, LOWER_THIRD_LINES);
  const boxH = even(pad + nameSize + pad / 2 + text.length * lineHeight + pad / 2);
  const top = even(height - margin - boxH);
  placeBox(scene, FILTERS.lowerThirdBox, { x: margin, y: top, w: even(width - 2 * margin), h: boxH });
  placeBox(scene, FILTERS.lowerThirdAccent, { x: margin, y: top, w: accent, h: boxH });
  scene.set(
    `${FILTERS.lowerThirdName} reinit`,
    `${drawtext(cleanLabel(question.name, 'Guest'), nameSize, String(left), String(top + pad), false)}:fontcolor=${LOWER_THIRD_NAME_COLOR}`,
  );
  lines.forEach((line, i) => {
    const content = text[i];
    const y = top + pad + nameSize + pad / 2 + i * lineHeight;
    scene.set(
      `${line} reinit`,
      content === undefined
        ? `x=${HIDDEN}:y=${HIDDEN}`
        : drawtext(content, size, String(left), String(even(y)), false),
    );
  });
}

/** The value of one scene parameter (every scene has them all). */
export function sceneValue(scene: Scene, target: string, param: string): string {
  const value = scene.get(`${target} ${param}`);
  if (value === undefined) throw new Error(`scene lacks ${target} ${param}`);
  return value;
}

/**
 * The zmq commands that turn scene `from` into `to`, in a fixed order. The zmq filter reads
 * its whole queue on each frame, so commands sent together land on one frame. A command's
 * argument is one token for the zmq filter: spaces, quotes and backslashes are escaped once
 * more (on top of the option escaping inside drawtext's `reinit`).
 */
export function sceneCommands(from: Scene | null, to: Scene): string[] {
  const commands: string[] = [];
  for (const [key, value] of to) {
    if (from?.get(key) === value) continue;
    commands.push(`${key} ${value.replace(/[\\' ]/g, (c) => `\\${c}`)}`);
  }
  return commands;
}
