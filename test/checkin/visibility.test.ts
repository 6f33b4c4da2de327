import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSummary, sparkline } from '../../src/checkin/summary.ts';
import type { AnswerRecord, Recipient, RoundView } from '../../src/checkin/types.ts';
import { canSee, visibleAnswers } from '../../src/checkin/visibility.ts';

const A = 1;
const B = 2;
let nextId = 1;

function answer(
  memberId: number,
  questionId: string,
  value: string | null,
  shared: boolean,
  crisis = false,
): AnswerRecord {
  return { id: nextId++, roundId: 1, memberId, questionId, value, shared, crisis };
}

function round(o: Partial<RoundView> & { answers: AnswerRecord[] }): RoundView {
  return {
    id: 1,
    coupleId: 1,
    template: 'rebuild-trust',
    sequence: 1,
    status: 'revealed',
    openedAt: 1000,
    revealedAt: 2000,
    closedAt: null,
    participants: [
      { memberId: A, submittedAt: 1500, release: null },
      { memberId: B, submittedAt: 1600, release: null },
    ],
    ...o,
  };
}

const member = (memberId: number): Recipient => ({ kind: 'member', memberId });
const channel = (scope: 'scores' | 'words', consentedAt = 0): Recipient => ({
  kind: 'channel',
  channelId: 9,
  scope,
  consentedAt,
});

describe('visibleAnswers', () => {
  it('shows an author everything of their own, skipped and private included', () => {
    const r = round({
      answers: [answer(A, 'hear', 'x', false), answer(A, 'fear', null, false), answer(A, 'anger', '3', true)],
    });
    expect(visibleAnswers(r, member(A))).toHaveLength(3);
  });

  it('shows the partner only shared, non-skipped answers, and only after both submitted', () => {
    const shared = answer(A, 'hear', 'x', true);
    const kept = answer(A, 'count-on', 'y', false);
    const skipped = answer(A, 'fear', null, true);
    expect(visibleAnswers(round({ answers: [shared, kept, skipped] }), member(B))).toEqual([shared]);
    const open = round({
      status: 'open',
      revealedAt: null,
      participants: [
        { memberId: A, submittedAt: 1500, release: null },
        { memberId: B, submittedAt: null, release: null },
      ],
      answers: [shared],
    });
    expect(visibleAnswers(open, member(B))).toEqual([]);
  });

  it('after a one-sided close, shows the partner only what the submitter released', () => {
    const a = answer(A, 'hear', 'x', true);
    const base = {
      status: 'closed' as const,
      revealedAt: null,
      closedAt: 3000,
      answers: [a],
    };
    const kept = round({
      ...base,
      participants: [
        { memberId: A, submittedAt: 1500, release: 'kept' },
        { memberId: B, submittedAt: null, release: null },
      ],
    });
    const released = round({
      ...base,
      participants: [
        { memberId: A, submittedAt: 1500, release: 'released' },
        { memberId: B, submittedAt: null, release: null },
      ],
    });
    expect(visibleAnswers(kept, member(B))).toEqual([]);
    expect(visibleAnswers(released, member(B))).toEqual([a]);
    expect(visibleAnswers(released, channel('words'))).toEqual([]);
  });

  it('shows nothing to someone who is not in the round', () => {
    expect(visibleAnswers(round({ answers: [answer(A, 'hear', 'x', true)] }), member(3))).toEqual([]);
  });

  it('gives a therapist channel scores only, or scores and words, from rounds after consent', () => {
    const score = answer(A, 'consistency', '7', true);
    const words = answer(B, 'hear', 'x', true);
    const safety = answer(A, 'safety', '2', false);
    const r = round({ answers: [score, words, safety] });
    expect(visibleAnswers(r, channel('scores'))).toEqual([score]);
    expect(visibleAnswers(r, channel('words'))).toEqual([score, words]);
    expect(visibleAnswers(r, channel('words', 5000))).toEqual([]);
  });

  it('never shows anyone but the author an unshared answer (property)', () => {
    const arb = fc.record({
      status: fc.constantFrom('open', 'revealed', 'closed'),
      subA: fc.boolean(),
      subB: fc.boolean(),
      relA: fc.constantFrom('released', 'kept', null),
      answers: fc.array(
        fc.record({
          author: fc.constantFrom(A, B),
          q: fc.constantFrom('consistency', 'safety', 'hear', 'deposit'),
          value: fc.option(fc.string(), { nil: null }),
          shared: fc.boolean(),
        }),
      ),
    });
    fc.assert(
      fc.property(arb, (g) => {
        const r = round({
          status: g.status as RoundView['status'],
          participants: [
            { memberId: A, submittedAt: g.subA ? 1 : null, release: g.relA as 'released' | 'kept' | null },
            { memberId: B, submittedAt: g.subB ? 1 : null, release: null },
          ],
          answers: g.answers.map((x) => answer(x.author, x.q, x.value, x.shared)),
        });
        for (const viewer of [member(A), member(B), channel('words')]) {
          for (const a of visibleAnswers(r, viewer)) {
            const own = viewer.kind === 'member' && viewer.memberId === a.memberId;
            if (!own) {
              expect(a.shared).toBe(true);
              expect(a.value).not.toBeNull();
            }
          }
        }
        if (!(g.status === 'revealed' && g.subA && g.subB)) {
          expect(r.answers.some((a) => a.memberId === A && canSee(r, a, member(B)))).toBe(
            g.status === 'closed' &&
              g.subA &&
              g.relA === 'released' &&
              r.answers.some((a) => a.memberId === A && a.shared && a.value !== null),
          );
        }
      }),
    );
  });
});

describe('summaries', () => {
  const labels = { author: (id: number) => (id === A ? 'You' : 'Your partner') };
  const text = (p: ReturnType<typeof buildSummary>) => p.map((x) => x.map((s) => s.text).join('')).join('\n');

  it('draw a sparkline from 0–10 values', () => {
    expect(sparkline([0, 5, 10])).toBe('▁▅█');
    expect(sparkline([])).toBe('');
  });

  it('show the partner’s shared words first and never a private one', () => {
    const r = round({
      answers: [
        answer(B, 'hear', 'B-words', true),
        answer(B, 'count-on', 'B-private', false),
        answer(A, 'hear', 'A-words', true),
      ],
    });
    const out = text(buildSummary(r, [], member(A), labels));
    expect(out).toContain('B-words');
    expect(out).not.toContain('B-private');
    expect(out.indexOf('B-words')).toBeLessThan(out.indexOf('A-words'));
  });

  it('note gently, naming no one, when only one partner made trust deposits lately', () => {
    const oneSided = round({ answers: [answer(A, 'deposit', 'I called', true)] });
    const both = round({
      answers: [answer(A, 'deposit', 'I called', true), answer(B, 'deposit', 'I listened', true)],
    });
    const note = 'Trust grows when you both add to it';
    expect(text(buildSummary(oneSided, [], member(A), labels))).toContain(note);
    expect(text(buildSummary(oneSided, [], member(B), labels))).toContain(note);
    expect(text(buildSummary(both, [], member(A), labels))).not.toContain(note);
  });

  it('carry the ids of every answer a segment shows', () => {
    const earlier = round({ id: 0, answers: [answer(B, 'consistency', '4', true)] });
    const now = round({ answers: [answer(B, 'consistency', '6', true)] });
    const segs = buildSummary(now, [earlier], member(A), labels).flat();
    const trend = segs.find((s) => s.text.includes('6') && s.answerIds);
    expect(trend?.answerIds).toEqual([earlier.answers[0]!.id, now.answers[0]!.id]);
  });
});
