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

function scoreLine(label: string, answers: AnswerRecord[]): Segment[] {
  const last = answers.at(-1);
  if (!last) return [seg(`${label}: —`)];
  return [
    seg(`${label}: `),
    seg(
      `${sparkline(answers.map((a) => Number(a.value)))} ${last.value}`,
      'plain',
      answers.map((a) => a.id),
    ),
  ];
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

  const isShown = (a: AnswerRecord) => a.value !== null && (solo || a.shared);
  for (const author of authors) {
    const words = visible.filter(
      (a) => a.memberId === author && isShown(a) && questionOf(round, a)?.kind !== 'scale',
    );
    const lines: Segment[] = [seg(labels.author(author), 'bold')];
    if (words.length === 0) lines.push(br, seg(copy.reveal.nothingShared, 'italic'));
    for (const a of words) {
      if (questionOf(round, a)?.deposit && !solo) continue;
      lines.push(
        br,
        seg(`${questionOf(round, a)?.label ?? a.questionId}: `, 'bold'),
        seg(a.value!, 'quote', [a.id]),
      );
    }
    if (!solo || words.length > 0) paragraphs.push(lines);
  }

  const scales = template.questions.filter((q) => q.kind === 'scale' && q.trend);
  const scoreLines: Segment[] = [seg(copy.reveal.scores, 'bold')];
  let anyScore = false;
  for (const q of scales) {
    for (const author of authors) {
      const current = visible.find((a) => a.memberId === author && a.questionId === q.id && isShown(a));
      if (!current) continue;
      anyScore = true;
      const label = solo ? q.label : `${q.label} — ${labels.author(author).toLowerCase()}`;
      scoreLines.push(br, ...scoreLine(label, trendOf(history, recipient, author, q.id)));
    }
  }
  if (anyScore) paragraphs.push(scoreLines);

  const deposit = template.questions.find((q) => q.deposit);
  if (deposit && !solo) {
    const lines: Segment[] = [seg(copy.reveal.deposits, 'bold')];
    for (const author of authors) {
      const a = visible.find((x) => x.memberId === author && x.questionId === deposit.id && isShown(x));
      lines.push(
        br,
        seg(`${labels.author(author)}: `),
        a ? seg(a.value!, 'quote', [a.id]) : seg(copy.reveal.noDeposit, 'italic'),
      );
    }
    paragraphs.push(lines);
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
