import { copy } from './copy.ts';
import { findQuestion, questionsFor, TEMPLATES } from './templates.ts';
import type { AnswerRecord, Question, Recipient, RoundView, Segment } from './types.ts';
import { visibleAnswers } from './visibility.ts';

// Summaries are built only from what visibleAnswers returns for the recipient.

const BARS = '▁▂▃▄▅▆▇█';
const TREND_ROUNDS = 6;
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
 * any lately), and the closing invitation. `earlier` holds the couple's previous rounds.
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
  const self = recipient.kind === 'member' ? recipient.memberId : null;
  // The other person's words first (step 4 of the five); for a channel, in participant order.
  const authors = round.participants
    .map((p) => p.memberId)
    .sort((a, b) => (a === self ? 1 : 0) - (b === self ? 1 : 0));
  const paragraphs: Segment[][] = [[seg(solo ? copy.reveal.soloOpening : copy.reveal.opening, 'italic')]];
  const history = [...earlier, round];
  const deposit = template.questions.find((q) => q.deposit);
  // What the partner sees of your own words is what you shared; alone, everything you wrote.
  const shown = (a: AnswerRecord) => a.value !== null && (solo || a.shared);

  for (const author of authors) {
    const words = visible.filter((a) => {
      const q = questionOf(round, a);
      return a.memberId === author && shown(a) && q?.kind !== 'scale' && (solo || !q?.deposit);
    });
    if (solo && words.length === 0) continue;
    const lines = words.map((a) => answerLine(questionOf(round, a), a));
    if (lines.length === 0) lines.push([seg(copy.reveal.nothingShared, 'italic')]);
    paragraphs.push(block(seg(labels.author(author), 'bold'), lines));
  }

  const scoreLines: Segment[][] = [];
  for (const q of template.questions.filter((x) => x.kind === 'scale' && x.trend)) {
    const line: Segment[] = [];
    for (const author of authors) {
      if (!visible.some((a) => a.memberId === author && a.questionId === q.id && shown(a))) continue;
      const trend = trendOf(history, recipient, author, q.id);
      line.push(seg(line.length === 0 ? `${q.label}: ` : ' · '));
      if (!solo) line.push(seg(`${labels.author(author).toLowerCase()} `));
      line.push(
        seg(
          `${sparkline(trend.map((a) => Number(a.value)))} ${trend.at(-1)!.value}`,
          'plain',
          trend.map((a) => a.id),
        ),
      );
    }
    if (line.length > 0) scoreLines.push(line);
  }
  if (scoreLines.length > 0) paragraphs.push(block(seg(copy.reveal.scores, 'bold'), scoreLines));

  if (deposit && !solo) {
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
  if (!solo && recipient.kind === 'member') paragraphs.push([seg(copy.reveal.closing, 'italic')]);
  return paragraphs;
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
