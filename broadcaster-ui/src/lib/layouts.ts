import type { LayoutMode, OnAirLayout } from '@stagecast/sdk';

/** How each layout mode is named in the control, and the one-line explanation it carries. */
export const LAYOUT_INFO: Record<LayoutMode, { label: string; title: string }> = {
  auto: {
    label: 'Auto',
    title:
      'The screen share when someone shares, else whoever is talking once two or more are on air, else the grid.',
  },
  grid: { label: 'Grid', title: 'Everyone in equal tiles (up to 9).' },
  speaker: { label: 'Speaker', title: 'Whoever is talking large, everyone else in a strip.' },
  spotlight: { label: 'Spotlight', title: 'The person you pin large, everyone else in a strip.' },
  share: {
    label: 'Screen share',
    title: 'The shared screen large, cameras in a strip (the grid while nobody shares).',
  },
};

const KIND_NAMES: Record<OnAirLayout['kind'], string> = {
  slate: 'slate',
  grid: 'grid',
  speaker: 'speaker',
  spotlight: 'spotlight',
  share: 'screen share',
};

/** "speaker · 3 tiles": what the picture on air shows (the chosen mode may resolve to another arrangement). */
export function describeOnAir(layout: OnAirLayout): string {
  if (layout.kind === 'slate' || layout.tiles === 0) return `${KIND_NAMES[layout.kind]} · nobody on stage`;
  return `${KIND_NAMES[layout.kind]} · ${layout.tiles} ${layout.tiles === 1 ? 'tile' : 'tiles'}`;
}

/**
 * Who `spotlight` should pin when a host picks the mode without naming anyone: the person
 * pinned before if still on stage, else whoever is talking, else the first person on stage.
 */
export function defaultPin(
  onStage: readonly string[],
  pinned: string | null,
  speaker: string | null,
): string | null {
  if (pinned !== null && onStage.includes(pinned)) return pinned;
  if (speaker !== null && onStage.includes(speaker)) return speaker;
  return onStage[0] ?? null;
}
