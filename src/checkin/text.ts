/**
 * Cleaning what people type before it is stored or shown to their partner. Only invisible or dangerous
 * characters go; words, emoji, accents and any script stay. Markup is kept verbatim: escaping belongs to
 * each chat adapter, which knows its own format.
 */

/** Result of cleaning a person's free text. */
export type CleanText =
  | { ok: true; text: string }
  | { ok: false; reason: 'empty' | 'too-long'; length: number; max: number };

// Without the `u` flag these match UTF-16 units, so a surrogate half with no partner can be found.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Every control character (C0, DEL, C1) except the newline and tab people really type.
const CONTROL = /[^\P{Cc}\n\t]/gu;
// Overrides and isolates can make a partner's words display in a different order than they were written.
// LRM/RLM marks (U+200E/U+200F) stay: RTL writers rely on them and they cannot reorder surrounding text.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/g;
// ZWSP and a stray byte-order mark; the zero-width joiner (U+200D) stays because emoji sequences need it.
const STRAY_INVISIBLE = /[\u200B\uFEFF]/g;
const EXTRA_BLANK_LINES = /(?:[ \t]*\n){3,}/g;

const ELLIPSIS = '…';

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function scrub(input: string): string {
  return (
    input
      .replace(LONE_SURROGATE, '')
      // Line breaks first, so "\r\n" and old-Mac "\r" become newlines rather than vanish as controls.
      .replace(/\r\n?|[\u2028\u2029]/g, '\n')
      .replace(CONTROL, '')
      .replace(BIDI_CONTROL, '')
      .replace(STRAY_INVISIBLE, '')
      .normalize('NFC')
      .replace(EXTRA_BLANK_LINES, '\n\n')
      .trim()
  );
}

/** Cleans free text and checks it holds 1..max code points. */
export function cleanText(input: string, max: number): CleanText {
  const text = scrub(input);
  const length = codePointLength(text);
  if (length === 0) return { ok: false, reason: 'empty', length, max };
  if (length > max) return { ok: false, reason: 'too-long', length, max };
  return { ok: true, text };
}

const NAME_MAX = 64;

/** A display name safe to store and show, at most 64 code points, "there" when nothing is left. */
export function cleanName(input: string): string {
  const text = scrub(input).replace(/\s+/g, ' ');
  if (text === '') return 'there';
  return preview(text, NAME_MAX);
}

// Intl.Segmenter is pure computation (no I/O); one instance is reused because construction is costly.
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Shortens text to at most `max` code points, cutting between whole characters and adding "…". */
export function preview(text: string, max: number): string {
  if (codePointLength(text) <= max) return text;
  if (max < 1) return '';
  const budget = max - 1;
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = codePointLength(segment);
    if (used + size > budget) break;
    kept += segment;
    used += size;
  }
  // A single long cluster (a family emoji) bigger than the budget: cut by code point rather than show nothing.
  if (kept === '' && budget > 0) {
    kept = Array.from(text)
      .slice(0, budget)
      .join('')
      .replace(/\u200D+$/, '');
  }
  return `${kept.trimEnd()}${ELLIPSIS}`;
}
