import { findQuestion, TEMPLATES } from './templates.ts';
import type { AnswerRecord, Recipient, RoundView } from './types.ts';

// The one place that decides who may see an answer. Every summary, reminder, history, trend
// and export is built from what this returns and from nothing else (DESIGN.md).

/** True when every participant of the round submitted before it ended. */
export function isTwoSided(round: RoundView): boolean {
  return (
    round.status === 'revealed' &&
    round.participants.length === 2 &&
    round.participants.every((p) => p.submittedAt !== null)
  );
}

function releasedBy(round: RoundView, memberId: number): boolean {
  const p = round.participants.find((x) => x.memberId === memberId);
  return round.status === 'closed' && p?.submittedAt != null && p.release === 'released';
}

/** Whether a round was opened after a moment; one opened in that very millisecond counts as before. */
export function openedAfter(round: Pick<RoundView, 'openedAt'>, moment: number): boolean {
  return round.openedAt > moment;
}

/** Whether this answer may be shown to this recipient. */
export function canSee(round: RoundView, answer: AnswerRecord, recipient: Recipient): boolean {
  if (recipient.kind === 'member') {
    if (answer.memberId === recipient.memberId) return true;
    if (!round.participants.some((p) => p.memberId === recipient.memberId)) return false;
    if (!answer.shared || answer.value === null) return false;
    return isTwoSided(round) || releasedBy(round, answer.memberId);
  }
  // Therapist channel: two-sided reveals only, from rounds opened after consent, within scope.
  if (!isTwoSided(round) || !openedAfter(round, recipient.consentedAt)) return false;
  if (!answer.shared || answer.value === null) return false;
  const question = findQuestion(round.template, answer.questionId);
  if (!question) return false;
  return recipient.scope === 'words' || question.kind === 'scale';
}

/** Exactly the answers of a round that the recipient may see. A skipped and a private answer look alike. */
export function visibleAnswers(round: RoundView, recipient: Recipient): AnswerRecord[] {
  return inQuestionOrder(
    round,
    round.answers.filter((a) => canSee(round, a, recipient)),
  );
}

// People read answers in the order they were asked, whatever order storage returns them in.
function inQuestionOrder(round: RoundView, answers: AnswerRecord[]): AnswerRecord[] {
  const order = new Map(TEMPLATES[round.template].questions.map((q, i) => [q.id, i]));
  const rank = (a: AnswerRecord) => order.get(a.questionId) ?? Number.MAX_SAFE_INTEGER;
  return answers.sort((a, b) => rank(a) - rank(b) || a.memberId - b.memberId || a.id - b.id);
}

/** The visible answers of many rounds, in round order; what history, trends and exports use. */
export function visibleHistory(
  rounds: RoundView[],
  recipient: Recipient,
): { round: RoundView; answers: AnswerRecord[] }[] {
  return rounds.map((round) => ({ round, answers: visibleAnswers(round, recipient) }));
}
