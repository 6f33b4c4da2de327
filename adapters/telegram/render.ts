import type { Button, OutboundMessage, Segment } from '../../src/engine/types.ts';

// Engine messages to Telegram's HTML. Every piece of text is escaped here, so a name or an
// answer full of <, > and & can never become markup or break the parse (Telegram answers 400).

/** Telegram's limit on a message's visible text. */
export const MAX_TEXT = 4096;
/** Room left under the limit, so a split never lands exactly on it. */
const CHUNK = 4000;

/** Escapes text for Telegram's HTML parse mode. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function segmentHtml(s: Segment): string {
  const t = escapeHtml(s.text);
  switch (s.style) {
    case 'bold':
      return `<b>${t}</b>`;
    case 'italic':
      return `<i>${t}</i>`;
    case 'quote':
      return `“${t}”`;
    case 'code':
      return `<code>${t}</code>`;
    default:
      return t;
  }
}

/** A paragraph as pieces that can each be sent on their own: (visible length, html). */
function pieces(paragraph: Segment[]): { visible: number; html: string }[] {
  const out: { visible: number; html: string }[] = [];
  for (const s of paragraph) {
    // A single huge segment (a long answer) is cut at code point boundaries, then escaped.
    const cps = Array.from(s.text);
    for (let i = 0; i < cps.length || i === 0; i += CHUNK) {
      const text = cps.slice(i, i + CHUNK).join('');
      out.push({ visible: Array.from(text).length, html: segmentHtml({ ...s, text }) });
      if (cps.length === 0) break;
    }
  }
  return out;
}

/**
 * The HTML texts of a message, each under Telegram's limit: paragraphs are kept together where
 * they fit, and split between segments (never inside a tag) where they don't.
 */
export function renderHtml(message: Pick<OutboundMessage, 'paragraphs'>): string[] {
  const chunks: string[] = [];
  let html = '';
  let visible = 0;
  const flush = () => {
    if (html.trim()) chunks.push(html.replace(/\n+$/, ''));
    html = '';
    visible = 0;
  };
  message.paragraphs.forEach((paragraph, i) => {
    pieces(paragraph).forEach((p, j) => {
      let lead = i > 0 && j === 0 && html ? '\n\n' : '';
      if (visible + lead.length + p.visible > CHUNK) {
        flush();
        lead = '';
      }
      html += lead + p.html;
      visible += lead.length + p.visible;
    });
  });
  flush();
  return chunks.length ? chunks : [''];
}

/** Engine buttons as an inline keyboard (callback_data is the engine's token, at most 64 bytes). */
export function inlineKeyboard(rows: Button[][] | undefined) {
  if (!rows?.length) return undefined;
  return { inline_keyboard: rows.map((row) => row.map((b) => ({ text: b.label, callback_data: b.token }))) };
}
