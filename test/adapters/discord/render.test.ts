import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandDefinitions } from '../../../adapters/discord/adapter.ts';
import {
  actionRows,
  escapeDiscord,
  FORM_PREFIX,
  MAX_CONTENT,
  renderMarkdown,
  toPayloads,
} from '../../../adapters/discord/render.ts';
import type { Button, OutboundMessage, Segment } from '../../../src/engine/types.ts';

const msg = (o: Partial<OutboundMessage>): OutboundMessage => ({
  type: 'message',
  to: { platform: 'discord', chatId: '1', kind: 'private' },
  kind: 'reply',
  paragraphs: [],
  private: true,
  ...o,
});

describe('rendering to Discord', () => {
  it('escapes markdown and mentions, so typed text never styles or pings anyone', () => {
    const out = renderMarkdown({
      paragraphs: [[{ style: 'bold', text: '**x** @everyone <@123> ||spoiler|| # h' }]],
    })[0]!;
    expect(out.startsWith('**')).toBe(true);
    expect(out).not.toContain('@everyone');
    expect(out).not.toContain('<@123>');
    expect(out).toContain('\\*\\*x\\*\\*');
    expect(out).toContain('\\|\\|spoiler\\|\\|');
    expect(escapeDiscord('_a_')).toBe('\\_a\\_');
  });

  it('keeps every message under 2,000 characters and loses no text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.record({
              style: fc.constantFrom('plain', 'italic', 'quote'),
              text: fc.string({ maxLength: 1500 }),
            }),
            { maxLength: 4 },
          ),
          { maxLength: 6 },
        ),
        (paragraphs) => {
          const chunks = renderMarkdown({ paragraphs: paragraphs as Segment[][] });
          for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_CONTENT);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('re-flows buttons into at most 5 a row and 5 rows, with custom_ids within 100 characters', () => {
    const row = (n: number): Button[] =>
      Array.from({ length: n }, (_, i) => ({ label: String(i), token: `t${i}~${'x'.repeat(60)}` }));
    const rows = actionRows([row(6), row(5), row(2)], {
      token: 'txt.12.hear~abcdefghijklmnop',
      label: 'Type my answer',
      maxLength: 1000,
    });
    expect(rows.length).toBeLessThanOrEqual(5);
    for (const r of rows) {
      expect(r.components.length).toBeLessThanOrEqual(5);
      for (const b of r.components) expect(b.custom_id.length).toBeLessThanOrEqual(100);
    }
    expect(rows[0]!.components[0]!.custom_id).toBe(`${FORM_PREFIX}1000:txt.12.hear~abcdefghijklmnop`);
  });

  it('sends summaries as embeds and replies outside the DM as ephemeral', () => {
    const long = 'word '.repeat(2000);
    const payloads = toPayloads(
      msg({ kind: 'summary', paragraphs: [[{ style: 'plain', text: long }]] }),
      true,
      'Type',
    );
    expect(payloads.length).toBeGreaterThan(1);
    for (const [i, p] of payloads.entries()) {
      // Ephemeral everywhere; only the first part may notify (later ones carry SUPPRESS_NOTIFICATIONS).
      expect(p.flags).toBe(i === 0 ? 64 : 64 | 4096);
      const size = (p.embeds ?? []).reduce((n, e) => n + e.description.length, 0);
      expect(size).toBeLessThanOrEqual(6000);
      for (const e of p.embeds ?? []) expect(e.description.length).toBeLessThanOrEqual(4096);
    }
    expect(
      payloads
        .map((p) => (p.embeds ?? []).map((e) => e.description).join(''))
        .join('')
        .replace(/\s/g, ''),
    ).toBe(long.replace(/\s/g, ''));
    expect(toPayloads(msg({ paragraphs: [[{ style: 'plain', text: 'hi' }]] }), false, 'Type')[0]).toEqual({
      content: 'hi',
    });
  });

  it("registers check-in commands for both install types and all three contexts, a therapist's for servers", () => {
    const defs = commandDefinitions();
    expect(defs.map((d) => d.name)).toEqual(
      expect.arrayContaining(['start', 'checkin', 'join', 'pause', 'help', 'therapist', 'revoke']),
    );
    const group = new Set(['link', 'trends']);
    expect(defs.filter((d) => group.has(d.name)).map((d) => d.name)).toEqual(['link', 'trends']);
    for (const d of defs) {
      expect(d.integration_types).toEqual(group.has(d.name) ? [0] : [0, 1]);
      expect(d.contexts).toEqual(group.has(d.name) ? [0] : [0, 1, 2]);
      expect(d.description.length).toBeLessThanOrEqual(100);
    }
    expect(defs.find((d) => d.name === 'join')?.options?.[0]).toMatchObject({ name: 'code', required: true });
    expect(defs.find((d) => d.name === 'therapist')?.options?.[0]).toMatchObject({
      name: 'code',
      required: false,
    });
    // Discord shows /link by default only to members who may manage channels (16).
    expect(defs.find((d) => d.name === 'link')).toMatchObject({ default_member_permissions: '16' });
    expect(defs.find((d) => d.name === 'trends')).not.toHaveProperty('default_member_permissions');
  });
});
