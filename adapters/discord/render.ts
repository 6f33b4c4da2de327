import { escapeMarkdown } from 'discord.js';
import type { Button, OutboundMessage, Segment } from '../../src/engine/types.ts';

// Engine messages to Discord: markdown with every typed character escaped, components within
// Discord's limits, summaries as embeds. Nothing a person typed can become markup or a mention.

export const MAX_CONTENT = 2000;
export const MAX_EMBED_DESCRIPTION = 4096;
const MAX_EMBEDS_TEXT = 6000;
const PER_ROW = 5;
const MAX_ROWS = 5;
/** Prefix of a button that opens the free-text form (modal) for a question. */
export const FORM_PREFIX = 'form:';

/** Escapes text for Discord markdown, including mentions (@everyone, <@id>) and links' brackets. */
export function escapeDiscord(text: string): string {
  return escapeMarkdown(text, { bulletedList: true, numberedList: true, heading: true, maskedLink: true })
    .replace(/@/g, '@\u200b')
    .replace(/</g, '<\u200b');
}

function segmentMd(s: Segment): string {
  if (s.text === '\n') return '\n';
  const t = escapeDiscord(s.text);
  switch (s.style) {
    case 'bold':
      return `**${t}**`;
    case 'italic':
      return `*${t}*`;
    case 'quote':
      return `“${t}”`;
    case 'code':
      // Code spans cannot be escaped inside; strip backticks instead.
      return `\`${s.text.replace(/`/g, 'ˋ')}\``;
    default:
      return t;
  }
}

/** The message as markdown texts, each at most `max` characters, split between segments. */
export function renderMarkdown(message: Pick<OutboundMessage, 'paragraphs'>, max = MAX_CONTENT): string[] {
  const chunks: string[] = [];
  let text = '';
  const push = (piece: string) => {
    if (text.length + piece.length > max) {
      if (text.trim()) chunks.push(text.replace(/\n+$/, ''));
      text = '';
    }
    // A single piece longer than the limit (a long answer) is cut at code point boundaries.
    const cps = Array.from(piece);
    for (let i = 0; i < cps.length; i += max) {
      const part = cps.slice(i, i + max).join('');
      if (text.length + part.length > max) {
        chunks.push(text);
        text = '';
      }
      text += part;
    }
  };
  message.paragraphs.forEach((paragraph, i) => {
    if (i > 0 && text) push('\n\n');
    for (const s of paragraph) push(segmentMd(s));
  });
  if (text.trim()) chunks.push(text.replace(/\n+$/, ''));
  return chunks.length ? chunks : ['\u200b'];
}

export interface DiscordPayload {
  content?: string;
  embeds?: { description: string; color?: number }[];
  components?: { type: 1; components: { type: 2; style: number; label: string; custom_id: string }[] }[];
  flags?: number;
}

/** Engine buttons re-flowed into Discord action rows: at most 5 buttons a row, 5 rows. */
export function actionRows(
  buttons: Button[][] | undefined,
  form?: { token: string; label: string; maxLength: number },
): NonNullable<DiscordPayload['components']> {
  const engineRows = buttons ?? [];
  // The form button's custom_id carries the answer's length limit: 5 + 4 + 1 + 64 <= 100.
  const formRow = form
    ? [[{ label: form.label, token: `${FORM_PREFIX}${form.maxLength}:${form.token}` }]]
    : [];
  const rows: NonNullable<DiscordPayload['components']> = [];
  // Keep the engine's rows where they fit; split the ones that don't.
  for (const row of [...formRow, ...engineRows]) {
    for (let i = 0; i < row.length; i += PER_ROW) {
      rows.push({
        type: 1,
        components: row.slice(i, i + PER_ROW).map((b) => ({
          type: 2,
          style: b.token.startsWith(FORM_PREFIX) ? 1 : 2,
          label: b.label.slice(0, 80),
          custom_id: b.token,
        })),
      });
    }
  }
  return rows.slice(0, MAX_ROWS);
}

/**
 * The Discord payloads of one engine message. Summaries become embeds (up to 4,096 characters
 * each, 6,000 per message); everything else is content under 2,000. Buttons go on the last.
 */
export function toPayloads(
  message: OutboundMessage,
  ephemeral: boolean,
  formLabel: string,
): DiscordPayload[] {
  const flags = ephemeral ? 64 : undefined;
  const form = message.expectsText
    ? {
        token: message.expectsText.token,
        label: formLabel,
        maxLength: Math.min(4000, message.expectsText.maxLength),
      }
    : undefined;
  const rows = actionRows(message.buttons, form);
  const payloads: DiscordPayload[] = [];
  const [opener, ...rest] = message.paragraphs;
  let body: Pick<OutboundMessage, 'paragraphs'> = message;
  if (message.openerAlone && opener && rest.length > 0) {
    payloads.push({ content: renderMarkdown({ paragraphs: [opener] })[0]! });
    body = { paragraphs: rest };
  }
  if (message.kind === 'summary') {
    const parts = renderMarkdown(body, MAX_EMBED_DESCRIPTION);
    let embeds: { description: string }[] = [];
    let size = 0;
    for (const description of parts) {
      if (embeds.length === 10 || size + description.length > MAX_EMBEDS_TEXT) {
        payloads.push({ embeds });
        embeds = [];
        size = 0;
      }
      embeds.push({ description });
      size += description.length;
    }
    payloads.push({ embeds });
  } else {
    for (const content of renderMarkdown(body)) payloads.push({ content });
  }
  const last = payloads.at(-1)!;
  if (rows.length > 0) last.components = rows;
  // Only the first part opens neutrally; later parts are sent without a notification
  // (SUPPRESS_NOTIFICATIONS), so no answer shows up on a lock screen.
  return payloads.map((p, i) => {
    const f = (flags ?? 0) | (i > 0 ? 4096 : 0);
    return f ? { ...p, flags: f } : p;
  });
}
