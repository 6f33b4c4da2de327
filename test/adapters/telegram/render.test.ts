import fc from 'fast-check';
import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { toInbound } from '../../../adapters/telegram/adapter.ts';
import { escapeHtml, inlineKeyboard, MAX_TEXT, renderHtml } from '../../../adapters/telegram/render.ts';
import type { Segment } from '../../../src/engine/types.ts';

const visible = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('rendering to Telegram HTML', () => {
  it('escapes whatever people typed, so it can never become markup', () => {
    const [html] = renderHtml({
      paragraphs: [
        [
          { style: 'bold', text: '<b>Al</b> & co' },
          { style: 'quote', text: '</i><script>' },
        ],
      ],
    });
    expect(html).toBe('<b>&lt;b&gt;Al&lt;/b&gt; &amp; co</b>“&lt;/i&gt;&lt;script&gt;”');
  });

  it('keeps every chunk under 4,096 visible characters, losing nothing and splitting no tag', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.record({
              style: fc.constantFrom('plain', 'bold', 'italic', 'quote', 'code'),
              text: fc.string({ unit: 'grapheme', maxLength: 3000 }),
            }),
            { maxLength: 4 },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (paragraphs) => {
          const chunks = renderHtml({ paragraphs: paragraphs as Segment[][] });
          for (const c of chunks) {
            expect(Array.from(visible(c)).length).toBeLessThanOrEqual(MAX_TEXT);
            // Tags are balanced within each chunk.
            const open = (c.match(/<(b|i|code)>/g) ?? []).length;
            const close = (c.match(/<\/(b|i|code)>/g) ?? []).length;
            expect(open).toBe(close);
          }
          const all = paragraphs
            .flat()
            .map((s) => s.text.replace(/\n/g, ''))
            .join('');
          expect(chunks.map((c) => visible(c).replace(/[\n“”]/g, '')).join('')).toBe(
            all.replace(/[“”]/g, ''),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('turns engine buttons into an inline keyboard carrying the engine token', () => {
    expect(inlineKeyboard([[{ label: '7', token: 'ans.1.q.7~mac' }]])).toEqual({
      inline_keyboard: [[{ text: '7', callback_data: 'ans.1.q.7~mac' }]],
    });
    expect(inlineKeyboard([])).toBeUndefined();
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });
});

describe('updates as engine Inbound', () => {
  const from = { id: 42, is_bot: false, first_name: 'Ana', language_code: 'en' };
  const privateChat = { id: 42, type: 'private' as const, first_name: 'Ana' };
  const message = (text: string, entities?: unknown[], chat: object = privateChat) =>
    ({
      update_id: 7,
      message: { message_id: 1, date: 0, chat, from, text, ...(entities ? { entities } : {}) },
    }) as unknown as Update;

  it('reads commands (and a deep-link code) with the update id as dedupe key', () => {
    expect(
      toInbound(
        message('/start abc_DEF-123', [{ type: 'bot_command', offset: 0, length: 6 }]),
        'checkin_bot',
      ),
    ).toEqual({
      kind: 'command',
      name: 'start',
      args: 'abc_DEF-123',
      actor: { platform: 'telegram', userId: '42', displayName: 'Ana', locale: 'en' },
      chat: { platform: 'telegram', chatId: '42', kind: 'private' },
      dedupeKey: '7',
    });
  });

  it('ignores commands for another bot in a group, and group chatter', () => {
    const group = { id: -100, type: 'supergroup', title: 'Therapy' };
    expect(
      toInbound(
        message('/status@otherbot', [{ type: 'bot_command', offset: 0, length: 16 }], group),
        'checkin_bot',
      ),
    ).toBeNull();
    expect(toInbound(message('hello all', undefined, group), 'checkin_bot')).toBeNull();
    expect(
      toInbound(
        message('/checkin@Checkin_Bot', [{ type: 'bot_command', offset: 0, length: 20 }], group),
        'checkin_bot',
      ),
    ).toMatchObject({
      kind: 'command',
      name: 'checkin',
      chat: { kind: 'group' },
    });
  });

  it('turns a button press into a choice on the message it was on', () => {
    const update = {
      update_id: 9,
      callback_query: {
        id: 'q',
        from,
        chat_instance: 'x',
        data: 'send.3~abc',
        message: { message_id: 55, date: 0, chat: privateChat },
      },
    } as unknown as Update;
    expect(toInbound(update, 'checkin_bot')).toMatchObject({
      kind: 'choice',
      token: 'send.3~abc',
      messageId: '55',
      dedupeKey: '9',
    });
  });
});
