import { describe, expect, it } from 'vitest';
import { chatLength, sanitizeChatText } from './sanitizeChatText.js';

describe('sanitizeChatText', () => {
  it('keeps markup and symbols byte for byte', () => {
    const text = `<script>alert("x")</script> &amp; <img src=x onerror=y> 'q' \\ /`;
    expect(sanitizeChatText(text)).toBe(text);
  });

  it('removes control and bidi/zero-width format characters', () => {
    expect(sanitizeChatText('a\u0000b\u0007c\u001bd\u007fe')).toBe('abcde');
    expect(sanitizeChatText('left\u202Ethgir\u2066x\u2069')).toBe('leftthgirx');
    expect(sanitizeChatText('zero\u200Bwidth\uFEFF')).toBe('zerowidth');
    expect(sanitizeChatText('lone \uD800 surrogate')).toBe('lone  surrogate');
  });

  it('keeps what real text needs: ZWJ emoji, ZWNJ, flag tags, accents', () => {
    for (const text of ['👨‍👩‍👧 family', 'می‌خواهم', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'café naïve', '日本語']) {
      expect(sanitizeChatText(text)).toBe(text);
    }
  });

  it('normalises line breaks, keeps up to one blank line, trims', () => {
    expect(sanitizeChatText('  a\r\nb\rc\u2028d  ')).toBe('a\nb\nc\nd');
    expect(sanitizeChatText('a\n\n\n\n\nb')).toBe('a\n\nb');
    expect(sanitizeChatText('a\tb')).toBe('a b');
    expect(sanitizeChatText(' \n\t\u0000 ')).toBe('');
  });

  it('counts code points', () => {
    expect(chatLength('😀😀')).toBe(2);
    expect(chatLength('abc')).toBe(3);
  });
});
