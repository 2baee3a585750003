/** Longest chat message, in Unicode code points, after cleaning. */
export const MAX_CHAT_LENGTH = 500;

/** Consecutive blank lines beyond this are collapsed (a message cannot be a wall of empty space). */
const MAX_NEWLINES_IN_A_ROW = 2;

/**
 * Control (Cc), format (Cf) and lone surrogate (Cs) characters. Format characters can
 * reorder text on screen (bidi overrides) or hide content (zero-width spaces).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

/**
 * Format characters real text needs: ZWNJ and ZWJ (Persian, Indic scripts, emoji sequences
 * such as families) and the tag characters of subdivision flag emoji.
 */
function isNeededFormatChar(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return cp === 0x200c || cp === 0x200d || (cp >= 0xe0020 && cp <= 0xe007f);
}

/**
 * Cleans a chat message: line breaks become `\n` (kept, so people can write several lines),
 * tabs become spaces, other control and format characters are removed, runs of blank lines
 * are shortened and the ends are trimmed. Everything else, including `<`, `>` and `&`, is
 * kept byte for byte: messages are plain text and clients render them as text.
 */
export function sanitizeChatText(raw: string): string {
  const cleaned = raw
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(/[\t\v\f]/g, ' ')
    .replace(INVISIBLE, (ch) => (ch === '\n' || isNeededFormatChar(ch) ? ch : ''));
  const maxRun = '\n'.repeat(MAX_NEWLINES_IN_A_ROW);
  return cleaned.replace(new RegExp(`\\n{${MAX_NEWLINES_IN_A_ROW + 1},}`, 'g'), maxRun).trim();
}

/** Length as people count it closely enough: code points, not UTF-16 units. */
export function chatLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
