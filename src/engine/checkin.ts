import { copy } from '../checkin/copy.ts';
import { mentionsCrisis } from '../checkin/crisis.ts';
import { localDate } from '../checkin/schedule.ts';
import { answerLine, block, buildReview, buildSummary, type SummaryLabels } from '../checkin/summary.ts';
import { findQuestion, LOW_SAFETY_SCORE, questionsFor, sharedByDefault } from '../checkin/templates.ts';
import { cleanText } from '../checkin/text.ts';
import type { AnswerRecord, Question, RoundView, Segment } from '../checkin/types.ts';
import type { CoupleRow, RoundRow } from '../store/repo.ts';
import { queueChannelReveals } from './channels.ts';
import {
  bold,
  type Ctx,
  italic,
  para,
  queue,
  resourceParagraphs,
  rows,
  say,
  sayText,
  type Work,
} from './context.ts';
import { isPaused, membersOf, partnerOf } from './couples.ts';
import type { Button } from './types.ts';

const ON_DEMAND_PER_DAY = 2;
const MIN = 60_000;

// ---- opening rounds ---------------------------------------------------------------------------

/**
 * Opens a round for a couple at an occurrence, once: the unique occurrence key makes a repeated
 * call (a redelivered job, a double tap) return the same round. Prompts go to every member
 * except `actorId`, who is answered inline.
 */
export function openRound(
  w: Work,
  couple: CoupleRow,
  occurrenceKey: string,
  actorId: number | null,
  occurredAt: number = w.now,
): { round: RoundRow; created: boolean } {
  const sequence = couple.roundCount + 1;
  const result = w.repo.insertRound(
    {
      coupleId: couple.id,
      occurrenceKey,
      template: couple.template,
      sequence,
      openedAt: w.now,
      // Times run from the occurrence, so a round opened late (the bot was down) still ends on time.
      remindAt: couple.kind === 'pair' ? occurredAt + couple.reminderMinutes * MIN : null,
      deadlineAt: occurredAt + couple.windowMinutes * MIN,
    },
    membersOf(couple),
  );
  if (!result.created) return result;
  w.repo.updateCouple(couple.id, { roundCount: sequence });
  w.repo.audit('round-opened', w.now, { coupleId: couple.id });
  w.opened.push(result.round.id);
  for (const memberId of membersOf(couple)) {
    if (memberId === actorId) continue;
    queue(w, {
      memberId,
      kind: 'prompt',
      roundId: result.round.id,
      dedupeKey: `prompt:${result.round.id}:${memberId}`,
    });
  }
  return result;
}

/** /checkin: resume the open round, or open one now (at most two on-demand rounds a day). */
export function startCheckin(ctx: Ctx): void {
  let couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (!couple) {
    couple = ctx.repo.createCouple({
      kind: 'solo',
      memberA: ctx.member.id,
      timeZone: ctx.member.timeZone ?? 'UTC',
      createdAt: ctx.now,
    });
    ctx.changed.add(couple.id);
  }
  const open = ctx.repo.openRoundOf(couple.id);
  if (open) {
    if (
      ctx.repo.participation(open.id, ctx.member.id)?.submittedAt === null &&
      ctx.repo.conversation(ctx.member)
    ) {
      sayText(ctx, copy.checkin.resumed);
    }
    return resume(ctx, open);
  }
  if (isPaused(couple, ctx.now)) return sayText(ctx, copy.checkin.paused);
  const day = localDate(ctx.now, ctx.member.timeZone ?? couple.timeZone);
  const n = ctx.repo.countOnDemand(couple.id, day);
  if (n >= ON_DEMAND_PER_DAY) return sayText(ctx, copy.checkin.dailyLimit);
  const { round } = openRound(ctx, couple, `d:${day}:${n + 1}`, ctx.member.id);
  const first = questionsFor(round.template, ctx.member.role, round.sequence)[0]!;
  askQuestion(ctx, round, first, false);
}

/** [Start] on a prompt, or /checkin with a round open: continue exactly where the person was. */
export function resume(ctx: Ctx, round: RoundRow): void {
  const part = ctx.repo.participation(round.id, ctx.member.id);
  if (!part || round.status !== 'open') return closed(ctx);
  if (part.submittedAt !== null) return sayText(ctx, copy.checkin.alreadySent);
  const conv = ctx.repo.conversation(ctx.member);
  const questions = questionsFor(round.template, ctx.member.role, round.sequence);
  if (conv?.roundId === round.id) {
    const q = questions.find((x) => x.id === conv.questionId);
    if (conv.step === 'checkin:question' && q) return askQuestion(ctx, round, q, conv.draft?.editing === '1');
    if (conv.step === 'review:answer' && q) return showAnswer(ctx, round, q);
    if (conv.step.startsWith('review')) return showReview(ctx, round);
  }
  const view = ctx.repo.roundView(round.id)!;
  const answered = new Set(view.answers.filter((a) => a.memberId === ctx.member.id).map((a) => a.questionId));
  const next = questions.find((q) => !answered.has(q.id));
  if (next) return askQuestion(ctx, round, next, false);
  showReview(ctx, round);
}

// ---- asking -----------------------------------------------------------------------------------

function questionButtons(ctx: Ctx, round: RoundRow, q: Question): Button[][] {
  const t = ctx.deps.tokens;
  const id = ctx.member.id;
  const out: Button[][] = [];
  if (q.kind === 'scale') {
    const nums = Array.from({ length: q.max - q.min + 1 }, (_, i) => q.min + i);
    out.push(
      ...rows(
        nums.map((n) => ({ label: String(n), token: t.mint(id, 'ans', round.id, q.id, n) })),
        6,
      ),
    );
  } else if (q.kind === 'choice') {
    out.push(
      ...rows(
        q.options.map((o) => ({ label: o.label, token: t.mint(id, 'ans', round.id, q.id, o.id) })),
        2,
      ),
    );
  }
  out.push([
    { label: copy.checkin.skip, token: t.mint(id, 'skip', round.id, q.id) },
    { label: copy.checkin.support, token: t.mint(id, 'help', round.id) },
  ]);
  return out;
}

/** Shows a question and remembers that the person is on it. */
export function askQuestion(ctx: Ctx, round: RoundRow, q: Question, editing: boolean): void {
  ctx.repo.setConversation(
    ctx.member,
    {
      step: 'checkin:question',
      roundId: round.id,
      questionId: q.id,
      draft: editing ? { editing: '1' } : null,
    },
    ctx.now,
  );
  const questions = questionsFor(round.template, ctx.member.role, round.sequence);
  const n = questions.findIndex((x) => x.id === q.id) + 1;
  const paragraphs: Segment[][] = [
    para(italic(copy.checkin.progress(n, questions.length))),
    para(bold(q.prompt)),
  ];
  if (q.kind === 'scale')
    paragraphs.push(para(copy.checkin.scaleEnds(q.min, q.lowLabel, q.max, q.highLabel)));
  if (q.hint) paragraphs.push(para(q.hint));
  paragraphs.push(para(q.kind === 'text' ? copy.checkin.textHint(q.maxLength) : copy.checkin.skippable));
  say(ctx, paragraphs, {
    kind: 'question',
    roundId: round.id,
    buttons: questionButtons(ctx, round, q),
    expectsText:
      q.kind === 'text'
        ? {
            maxLength: q.maxLength,
            token: ctx.deps.tokens.mint(ctx.member.id, 'txt', round.id, q.id),
            label: q.label,
          }
        : undefined,
  });
}

/** The open round this member may answer in, or null after telling them it has closed. */
function answerable(ctx: Ctx, roundId: number): RoundRow | null {
  const round = ctx.repo.round(roundId);
  const part = round && ctx.repo.participation(round.id, ctx.member.id);
  if (!round || !part || round.status !== 'open') {
    closed(ctx);
    return null;
  }
  if (part.submittedAt !== null) {
    sayText(ctx, copy.checkin.alreadySent);
    return null;
  }
  return round;
}

function closed(ctx: Ctx): void {
  say(ctx, [para(copy.checkin.closed)], { replace: true });
}

/** The question the person is on, if it is `questionId` of this round; otherwise re-shows where they are. */
function currentQuestion(
  ctx: Ctx,
  round: RoundRow,
  questionId: string,
): { q: Question; editing: boolean } | null {
  const conv = ctx.repo.conversation(ctx.member);
  const q = questionsFor(round.template, ctx.member.role, round.sequence).find((x) => x.id === questionId);
  if (
    !q ||
    conv?.step !== 'checkin:question' ||
    conv.roundId !== round.id ||
    conv.questionId !== questionId
  ) {
    sayText(ctx, copy.checkin.staleButton);
    resume(ctx, round);
    return null;
  }
  return { q, editing: conv.draft?.editing === '1' };
}

/** A pressed answer button (a scale number or a choice). */
export function answerChoice(ctx: Ctx, roundId: number, questionId: string, value: string): void {
  const round = answerable(ctx, roundId);
  if (!round) return;
  const cur = currentQuestion(ctx, round, questionId);
  if (!cur) return;
  const { q } = cur;
  const valid =
    q.kind === 'scale'
      ? /^(?:\d|10)$/.test(value) && Number(value) >= q.min && Number(value) <= q.max
      : q.kind === 'choice' && q.options.some((o) => o.id === value);
  if (!valid) return sayText(ctx, copy.checkin.staleButton);
  record(ctx, round, cur, value);
}

/** Typed text (or a form) while a question is open. */
export function answerText(ctx: Ctx, roundId: number, questionId: string, raw: string): void {
  const round = answerable(ctx, roundId);
  if (!round) return;
  const cur = currentQuestion(ctx, round, questionId);
  if (!cur) return;
  const { q } = cur;
  if (q.kind === 'scale') {
    const n = raw.trim();
    if (/^\d{1,2}$/.test(n) && Number(n) >= q.min && Number(n) <= q.max) {
      return record(ctx, round, cur, String(Number(n)));
    }
    return sayText(ctx, copy.checkin.pickNumber);
  }
  if (q.kind === 'choice') return sayText(ctx, copy.checkin.pickButton);
  const cleaned = cleanText(raw, q.maxLength);
  if (!cleaned.ok) {
    return sayText(
      ctx,
      cleaned.reason === 'empty' ? copy.checkin.empty : copy.checkin.tooLong(cleaned.length, cleaned.max),
    );
  }
  record(ctx, round, cur, cleaned.text);
}

/** [Skip]: recorded as skipped, which looks to everyone else exactly like a private answer. */
export function skip(ctx: Ctx, roundId: number, questionId: string): void {
  const round = answerable(ctx, roundId);
  if (!round) return;
  const cur = currentQuestion(ctx, round, questionId);
  if (!cur) return;
  record(ctx, round, cur, null);
}

function record(
  ctx: Ctx,
  round: RoundRow,
  cur: { q: Question; editing: boolean },
  value: string | null,
): void {
  const { q, editing } = cur;
  const crisis = q.kind === 'text' && value !== null && mentionsCrisis(value);
  const previous = ctx.repo
    .roundView(round.id)!
    .answers.find((a) => a.memberId === ctx.member.id && a.questionId === q.id);
  // An edit keeps the person's share choice; crisis wording always starts private again.
  const shared = crisis ? false : previous && previous.value !== null ? previous.shared : sharedByDefault(q);
  ctx.repo.putAnswer(ctx.member, round.id, q.id, value, shared && value !== null, crisis, ctx.now);
  ctx.crash = 'after-answer-commit';

  if (crisis) {
    // The resources may already be in this reply (the text was checked as it came in): then the
    // note joins that message, before its closing "I'm still here".
    const shown = ctx.out.find((m) => m.type === 'message' && m.kind === 'resources');
    if (shown?.type === 'message') shown.paragraphs.splice(-1, 0, para(copy.checkin.crisisKept));
    else {
      say(
        ctx,
        [...resourceParagraphs(ctx, ctx.member), para(copy.checkin.crisisKept), para(copy.checkin.stillHere)],
        { kind: 'resources' },
      );
    }
  } else if (q.safety && q.kind === 'scale' && value !== null && Number(value) <= LOW_SAFETY_SCORE) {
    say(
      ctx,
      [para(copy.checkin.lowScore), ...resourceParagraphs(ctx, ctx.member), para(copy.checkin.stillHere)],
      {
        kind: 'resources',
      },
    );
  }
  if (editing) return showReview(ctx, round);
  const questions = questionsFor(round.template, ctx.member.role, round.sequence);
  const next = questions[questions.findIndex((x) => x.id === q.id) + 1];
  if (next) askQuestion(ctx, round, next, false);
  else showReview(ctx, round);
}

/** "I need support now": resources first, privately, then stay in the conversation. */
export function support(ctx: Ctx, roundId: number | null): void {
  const buttons: Button[][] = [];
  if (roundId !== null && ctx.repo.round(roundId)?.status === 'open') {
    buttons.push([
      { label: copy.checkin.continue, token: ctx.deps.tokens.mint(ctx.member.id, 'cont', roundId) },
    ]);
  }
  say(ctx, [...resourceParagraphs(ctx, ctx.member), para(copy.checkin.stillHere)], {
    kind: 'resources',
    buttons,
  });
}

/** [Continue] after support: back to where the person was. */
export function continueRound(ctx: Ctx, roundId: number): void {
  const round = answerable(ctx, roundId);
  if (round) resume(ctx, round);
}

// ---- review -----------------------------------------------------------------------------------

/** The review before sending: exactly what the partner will see, then what is kept private. */
export function showReview(ctx: Ctx, round: RoundRow): void {
  ctx.repo.setConversation(
    ctx.member,
    { step: 'review', roundId: round.id, questionId: null, draft: null },
    ctx.now,
  );
  const view = ctx.repo.roundView(round.id)!;
  const { shared, kept, questions } = buildReview(view, ctx.member.id, ctx.member.role);
  const byId = new Map(questions.map((q) => [q.id, q]));
  const solo = view.participants.length === 1;
  const line = (a: AnswerRecord) => answerLine(byId.get(a.questionId), a);
  const paragraphs: Segment[][] = [];
  if (solo) {
    paragraphs.push(
      block(bold(copy.review.soloHeading), [...shared, ...kept].sort(byQuestionOrder(questions)).map(line)),
    );
  } else {
    const sharedLines = shared.map(line);
    paragraphs.push(
      block(
        bold(copy.review.heading),
        sharedLines.length ? sharedLines : [[italic(copy.review.nothingShared)]],
      ),
    );
    if (kept.length > 0) paragraphs.push(block(bold(copy.review.keptPrivate), kept.map(line)));
    paragraphs.push(para(copy.review.howToChange));
  }
  const t = ctx.deps.tokens;
  const answered = [...shared, ...kept].sort(byQuestionOrder(questions));
  const change = answered.map((a) => ({
    label: byId.get(a.questionId)?.label ?? a.questionId,
    token: t.mint(ctx.member.id, 'open', round.id, a.questionId),
  }));
  say(ctx, paragraphs, {
    kind: 'question',
    roundId: round.id,
    replace: true,
    buttons: [
      ...rows(change, 3),
      [
        { label: copy.review.send, token: t.mint(ctx.member.id, 'send', round.id) },
        { label: copy.checkin.support, token: t.mint(ctx.member.id, 'help', round.id) },
      ],
    ],
  });
}

function byQuestionOrder(questions: Question[]): (a: AnswerRecord, b: AnswerRecord) => number {
  const order = new Map(questions.map((q, i) => [q.id, i]));
  return (a, b) => (order.get(a.questionId) ?? 99) - (order.get(b.questionId) ?? 99);
}

function reviewable(
  ctx: Ctx,
  roundId: number,
  questionId: string,
): { round: RoundRow; q: Question; a: AnswerRecord } | null {
  const round = answerable(ctx, roundId);
  if (!round) return null;
  const q = questionsFor(round.template, ctx.member.role, round.sequence).find((x) => x.id === questionId);
  const a = ctx.repo
    .roundView(round.id)!
    .answers.find((x) => x.memberId === ctx.member.id && x.questionId === questionId);
  const conv = ctx.repo.conversation(ctx.member);
  if (!q || !a || conv?.roundId !== round.id || !conv.step.startsWith('review')) {
    sayText(ctx, copy.checkin.staleButton);
    resume(ctx, round);
    return null;
  }
  return { round, q, a };
}

/** One answer at review: change it, or switch it between shared and private. */
export function openAnswer(ctx: Ctx, roundId: number, questionId: string): void {
  const r = reviewable(ctx, roundId, questionId);
  if (r) showAnswer(ctx, r.round, r.q);
}

function showAnswer(ctx: Ctx, round: RoundRow, q: Question): void {
  ctx.repo.setConversation(
    ctx.member,
    { step: 'review:answer', roundId: round.id, questionId: q.id, draft: null },
    ctx.now,
  );
  const view = ctx.repo.roundView(round.id)!;
  const a = view.answers.find((x) => x.memberId === ctx.member.id && x.questionId === q.id)!;
  const solo = view.participants.length === 1;
  const t = ctx.deps.tokens;
  const id = ctx.member.id;
  const paragraphs: Segment[][] = [answerLine(q, a)];
  const buttons: Button[][] = [];
  if (!solo && a.value !== null) {
    paragraphs.push(para(a.shared ? copy.review.sharedState : copy.review.privateState));
    buttons.push([
      a.shared
        ? { label: copy.review.keep, token: t.mint(id, 'priv', round.id, q.id) }
        : { label: copy.review.share, token: t.mint(id, 'share', round.id, q.id) },
    ]);
  }
  buttons.push([
    { label: copy.review.edit, token: t.mint(id, 'edit', round.id, q.id) },
    { label: copy.review.back, token: t.mint(id, 'back', round.id) },
  ]);
  say(ctx, paragraphs, { kind: 'question', roundId: round.id, buttons, replace: true });
}

/** [Share it]: crisis-flagged answers ask once more before they are shared. */
export function share(ctx: Ctx, roundId: number, questionId: string, confirmed: boolean): void {
  const r = reviewable(ctx, roundId, questionId);
  if (!r || r.a.value === null) return;
  if (r.a.crisis && !confirmed) {
    ctx.repo.setConversation(
      ctx.member,
      { step: 'review:crisis', roundId, questionId, draft: null },
      ctx.now,
    );
    const t = ctx.deps.tokens;
    say(ctx, [para(copy.review.confirmCrisis)], {
      kind: 'question',
      roundId,
      replace: true,
      buttons: [
        [
          { label: copy.review.confirmShare, token: t.mint(ctx.member.id, 'share2', roundId, questionId) },
          { label: copy.review.keep, token: t.mint(ctx.member.id, 'priv', roundId, questionId) },
        ],
      ],
    });
    return;
  }
  // The second confirmation counts only for the answer it was shown for.
  const conv = ctx.repo.conversation(ctx.member);
  if (confirmed && (conv?.step !== 'review:crisis' || conv.questionId !== questionId)) {
    sayText(ctx, copy.checkin.staleButton);
    return showReview(ctx, r.round);
  }
  ctx.repo.setShared(roundId, ctx.member.id, questionId, true, ctx.now);
  showReview(ctx, r.round);
}

/** [Keep it private]. */
export function keepPrivate(ctx: Ctx, roundId: number, questionId: string): void {
  const r = reviewable(ctx, roundId, questionId);
  if (!r) return;
  ctx.repo.setShared(roundId, ctx.member.id, questionId, false, ctx.now);
  showReview(ctx, r.round);
}

/** [Change my answer]: ask the question again, then return to review. */
export function editAnswer(ctx: Ctx, roundId: number, questionId: string): void {
  const r = reviewable(ctx, roundId, questionId);
  if (r) askQuestion(ctx, r.round, r.q, true);
}

/** [Back to review]. */
export function backToReview(ctx: Ctx, roundId: number): void {
  const round = answerable(ctx, roundId);
  if (round) showReview(ctx, round);
}

// ---- submit, reveal, close --------------------------------------------------------------------

/** The labels of a member's summary: their own words and their partner's. */
export function memberLabels(memberId: number): SummaryLabels {
  return { author: (id) => (id === memberId ? copy.reveal.yourWords : copy.reveal.partnerWords) };
}

/** The reveal summary of a round for one member, from the visibility function's result. */
export function summaryFor(w: Work, round: RoundView, memberId: number): Segment[][] {
  const earlier = w.repo.roundViews(w.repo.earlierRoundIds(round.coupleId, round.id, 6));
  return buildSummary(round, earlier, { kind: 'member', memberId }, memberLabels(memberId));
}

/** [Send my check-in]. When both have sent, the reveal happens in this same transaction. */
export function submit(ctx: Ctx, roundId: number): void {
  const round = answerable(ctx, roundId);
  if (!round) return;
  const conv = ctx.repo.conversation(ctx.member);
  if (conv?.roundId !== round.id || !conv.step.startsWith('review')) {
    sayText(ctx, copy.checkin.staleButton);
    return resume(ctx, round);
  }
  ctx.repo.updateParticipation(round.id, ctx.member.id, { submittedAt: ctx.now });
  ctx.crash = 'after-submit-commit';
  ctx.repo.clearConversation(ctx.member.id);
  ctx.repo.audit('submitted', ctx.now, { memberId: ctx.member.id, coupleId: round.coupleId });
  const view = ctx.repo.roundView(round.id)!;
  if (!view.participants.every((p) => p.submittedAt !== null)) {
    say(ctx, [para(copy.checkin.waiting)], { replace: true, roundId: round.id });
    return;
  }
  ctx.repo.updateRound(round.id, { status: 'revealed', revealedAt: ctx.now });
  ctx.crash = 'after-reveal-commit';
  ctx.repo.audit('revealed', ctx.now, { coupleId: round.coupleId });
  const revealed = ctx.repo.roundView(round.id)!;
  queueChannelReveals(ctx, round);
  for (const p of revealed.participants) {
    if (p.memberId === ctx.member.id) continue;
    queue(ctx, {
      memberId: p.memberId,
      kind: 'reveal',
      roundId: round.id,
      dedupeKey: `reveal:${round.id}:${p.memberId}`,
    });
  }
  say(ctx, summaryFor(ctx, revealed, ctx.member.id), {
    kind: 'summary',
    protect: true,
    roundId: round.id,
    replace: true,
  });
}

/**
 * The deadline: closes an open round. Each submitter is asked whether to release what they
 * shared; anyone who had not finished gets a neutral "closed". Does nothing to a round that is
 * no longer open, so a late or repeated deadline job is harmless.
 */
export function closeRound(w: Work, roundId: number): boolean {
  const round = w.repo.round(roundId);
  if (round?.status !== 'open') return false;
  w.repo.updateRound(round.id, { status: 'closed', closedAt: w.now });
  w.repo.clearConversationsOfRound(round.id);
  w.repo.audit('round-closed', w.now, { coupleId: round.coupleId });
  const view = w.repo.roundView(round.id)!;
  const pair = view.participants.length === 2;
  for (const p of view.participants) {
    const sharedSomething = view.answers.some(
      (a) => a.memberId === p.memberId && a.shared && a.value !== null,
    );
    if (pair && p.submittedAt !== null && sharedSomething) {
      queue(w, {
        memberId: p.memberId,
        kind: 'release-ask',
        roundId,
        dedupeKey: `release-ask:${roundId}:${p.memberId}`,
      });
    } else {
      queue(w, {
        memberId: p.memberId,
        kind: 'round-closed',
        roundId,
        dedupeKey: `closed:${roundId}:${p.memberId}`,
      });
    }
  }
  return true;
}

/** [Share it] / [Keep it private] after a one-sided deadline. */
export function release(ctx: Ctx, roundId: number, yes: boolean): void {
  const round = ctx.repo.round(roundId);
  const part = round && ctx.repo.participation(roundId, ctx.member.id);
  // After an unpair the ex-partner is no longer "your partner": nothing is released to them.
  const active = round && ctx.repo.couple(round.coupleId)?.status === 'active';
  if (
    !round ||
    !part ||
    !active ||
    round.status !== 'closed' ||
    part.submittedAt === null ||
    part.release !== null
  ) {
    return say(ctx, [para(copy.checkin.closed)], { replace: true });
  }
  ctx.repo.updateParticipation(roundId, ctx.member.id, { release: yes ? 'released' : 'kept' });
  ctx.repo.audit(yes ? 'released' : 'kept', ctx.now, { memberId: ctx.member.id, coupleId: round.coupleId });
  if (yes) {
    const couple = ctx.repo.couple(round.coupleId);
    const partner = couple ? partnerOf(couple, ctx.member.id) : null;
    if (partner !== null) {
      queue(ctx, {
        memberId: partner,
        kind: 'released',
        roundId,
        dedupeKey: `released:${roundId}:${partner}`,
      });
    }
  }
  say(ctx, [para(yes ? copy.deadline.released : copy.deadline.kept)], { replace: true });
}

/** The answers of `authorId` in a round that `reader` may see, as summary lines. */
export function releasedLines(view: RoundView, reader: number, visible: AnswerRecord[]): Segment[] {
  return block(
    null,
    visible
      .filter((a) => a.memberId !== reader && a.value !== null)
      .map((a) => answerLine(findQuestion(view.template, a.questionId), a)),
  );
}

/** The one reminder: to each participant who has not sent their check-in yet. */
export function remind(w: Work, roundId: number): number {
  const round = w.repo.round(roundId);
  if (round?.status !== 'open') return 0;
  const couple = w.repo.couple(round.coupleId);
  if (couple?.status !== 'active' || isPaused(couple, w.now)) return 0;
  let n = 0;
  for (const p of w.repo.roundView(roundId)!.participants) {
    if (p.submittedAt !== null) continue;
    queue(w, {
      memberId: p.memberId,
      kind: 'reminder',
      roundId,
      dedupeKey: `remind:${roundId}:${p.memberId}`,
    });
    n++;
  }
  return n;
}

/** Closes a couple's open round quietly (unpair, delete): nobody is asked anything. */
export function abandonOpenRound(w: Work, couple: CoupleRow): void {
  const open = w.repo.openRoundOf(couple.id);
  if (!open) return;
  w.repo.updateRound(open.id, { status: 'closed', closedAt: w.now });
  w.repo.clearConversationsOfRound(open.id);
}
