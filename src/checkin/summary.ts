import { copy } from './copy.ts';
import { findQuestion, questionsFor, TEMPLATES } from './templates.ts';
import type { AnswerRecord, Question, Recipient, RoundView, Segment } from './types.ts';
import { visibleAnswers } from './visibility.ts';

// Summaries are built only from what visibleAnswers returns for the recipient.

const BARS = '▁▂▃▄▅▆▇█';
/** How many rounds a trend looks back over. */
export const TREND_ROUNDS = 6;
const DEPOSIT_ROUNDS = 3;

/** A text sparkline of 0–10 values, oldest first ("▂▃▅▆"). */
export function sparkline(values: number[]): string {
  return values
    .map((v) => BARS[Math.round((Math.min(10, Math.max(0, v)) / 10) * (BARS.length - 1))])
    .join('');
}

const seg = (text: string, style: Segment['style'] = 'plain', answerIds?: number[]): Segment =>
  answerIds ? { style, text, answerIds } : { style, text };
const br = seg('\n');

/** Who is who in a summary: the recipient's own words and the other person's. */
export interface SummaryLabels {
  /** How to name an author of answers for this recipient ("You", "Your partner", "Partner 1"). */
  author(memberId: number): string;
}

/** The answers of `memberId` to `questionId` across rounds that the recipient may see, oldest first. */
function trendOf(
  rounds: RoundView[],
  recipient: Recipient,
  memberId: number,
  questionId: string,
): AnswerRecord[] {
  return rounds
    .flatMap((r) => visibleAnswers(r, recipient))
    .filter((a) => a.memberId === memberId && a.questionId === questionId && a.value !== null)
    .slice(-TREND_ROUNDS);
}

/** One answer as a line: its label, then the value (a score plain, words quoted, a skip in italics). */
export function answerLine(q: Question | undefined, a: AnswerRecord): Segment[] {
  const label = seg(`${q?.label ?? a.questionId}: `, 'bold');
  if (a.value === null) return [label, seg(copy.review.skipped, 'italic')];
  return [label, seg(a.value, q?.kind === 'text' ? 'quote' : 'plain', [a.id])];
}

/** A paragraph of a heading and lines, one per line. */
export function block(heading: Segment | null, lines: Segment[][]): Segment[] {
  const out: Segment[] = heading ? [heading] : [];
  for (const line of lines) {
    if (out.length > 0) out.push(br);
    out.push(...line);
  }
  return out;
}

/**
 * The shared summary of a finished round for one recipient: the other person's words first,
 * scores side by side with trends, trust deposits (noting gently when only one of two made
 * any lately), and the closing invitation. `earlier` holds the couple's previous rounds. A
 * therapist channel with a "scores" consent gets the scores alone.
 */
export function buildSummary(
  round: RoundView,
  earlier: RoundView[],
  recipient: Recipient,
  labels: SummaryLabels,
): Segment[][] {
  const template = TEMPLATES[round.template];
  const visible = visibleAnswers(round, recipient);
  const solo = round.participants.length === 1;
  const channel = recipient.kind === 'channel';
  const words = !channel || recipient.scope === 'words';
  const self = recipient.kind === 'member' ? recipient.memberId : null;
  // The other person's words first (step 4 of the five); for a channel, in participant order.
  const authors = round.participants
    .map((p) => p.memberId)
    .sort((a, b) => (a === self ? 1 : 0) - (b === self ? 1 : 0));
  const opening = channel ? copy.channel.opening : solo ? copy.reveal.soloOpening : copy.reveal.opening;
  const paragraphs: Segment[][] = [[seg(opening, 'italic')]];
  const history = [...earlier, round];
  const deposit = template.questions.find((q) => q.deposit);
  // What the partner sees of your own words is what you shared; alone, everything you wrote.
  const shown = (a: AnswerRecord) => a.value !== null && (solo || a.shared);

  for (const author of words ? authors : []) {
    const said = visible.filter((a) => {
      const q = questionOf(round, a);
      return a.memberId === author && shown(a) && q?.kind !== 'scale' && (solo || !q?.deposit);
    });
    if (solo && said.length === 0) continue;
    const lines = said.map((a) => answerLine(questionOf(round, a), a));
    if (lines.length === 0) lines.push([seg(copy.reveal.nothingShared, 'italic')]);
    paragraphs.push(block(seg(labels.author(author), 'bold'), lines));
  }

  const scores = scoreLines(history, recipient, authors, solo ? null : labels, (author, questionId) =>
    visible.some((a) => a.memberId === author && a.questionId === questionId && shown(a)),
  );
  if (scores.length > 0) paragraphs.push(block(seg(copy.reveal.scores, 'bold'), scores));

  if (deposit && !solo && words) {
    const lines = authors.map((author) => {
      const a = visible.find((x) => x.memberId === author && x.questionId === deposit.id && shown(x));
      return [
        seg(`${labels.author(author)}: `),
        a ? seg(a.value!, 'quote', [a.id]) : seg(copy.reveal.noDeposit, 'italic'),
      ];
    });
    paragraphs.push(block(seg(copy.reveal.deposits, 'bold'), lines));
    if (recipient.kind === 'member' && oneSidedDeposits(history.slice(-DEPOSIT_ROUNDS), deposit)) {
      paragraphs.push([seg(copy.reveal.oneSidedDeposits)]);
    }
  }
  if (channel && visible.length === 0) paragraphs.push([seg(copy.channel.nothingShared, 'italic')]);
  if (!solo && recipient.kind === 'member') paragraphs.push([seg(copy.reveal.closing, 'italic')]);
  return paragraphs;
}

/**
 * One line per trend question of the newest round's template: each author's recent scores as a
 * sparkline and the latest value, side by side. `include` says whether an author's score to a
 * question belongs on the line at all; `labels` is null when there is one author (no names).
 */
export function scoreLines(
  rounds: RoundView[],
  recipient: Recipient,
  authors: number[],
  labels: SummaryLabels | null,
  include: (author: number, questionId: string) => boolean,
): Segment[][] {
  const latest = rounds.at(-1);
  if (!latest) return [];
  const lines: Segment[][] = [];
  for (const q of TEMPLATES[latest.template].questions.filter((x) => x.kind === 'scale' && x.trend)) {
    const line: Segment[] = [];
    for (const author of authors) {
      if (!include(author, q.id)) continue;
      const trend = trendOf(rounds, recipient, author, q.id);
      if (trend.length === 0) continue;
      line.push(seg(line.length === 0 ? `${q.label}: ` : ' · '));
      if (labels) line.push(seg(`${labels.author(author).toLowerCase()} `));
      line.push(
        seg(
          `${sparkline(trend.map((a) => Number(a.value)))} ${trend.at(-1)!.value}`,
          'plain',
          trend.map((a) => a.id),
        ),
      );
    }
    if (line.length > 0) lines.push(line);
  }
  return lines;
}

function questionOf(round: RoundView, a: AnswerRecord): Question | undefined {
  return findQuestion(round.template, a.questionId);
}

// Judged on what each partner could see of the other, so both get the same note, naming no one.
function oneSidedDeposits(rounds: RoundView[], deposit: Question): boolean {
  const depositors = new Set<number>();
  const members = new Set<number>();
  for (const round of rounds) {
    if (round.participants.length !== 2) continue;
    for (const p of round.participants) {
      members.add(p.memberId);
      const other = round.participants.find((x) => x.memberId !== p.memberId)!;
      const seenByOther = visibleAnswers(round, { kind: 'member', memberId: other.memberId });
      if (seenByOther.some((a) => a.memberId === p.memberId && a.questionId === deposit.id && a.shared)) {
        depositors.add(p.memberId);
      }
    }
  }
  return members.size === 2 && depositors.size === 1;
}

/** The lines of a person's own review: what will be shared, then what is kept private. */
export function buildReview(
  round: RoundView,
  memberId: number,
  role: Parameters<typeof questionsFor>[1],
): { shared: AnswerRecord[]; kept: AnswerRecord[]; questions: Question[] } {
  const questions = questionsFor(round.template, role, round.sequence);
  const mine = visibleAnswers(round, { kind: 'member', memberId }).filter((a) => a.memberId === memberId);
  const inOrder = questions
    .map((q) => mine.find((a) => a.questionId === q.id))
    .filter((a): a is AnswerRecord => a !== undefined);
  return {
    shared: inOrder.filter((a) => a.shared && a.value !== null),
    kept: inOrder.filter((a) => !a.shared || a.value === null),
    questions,
  };
}
