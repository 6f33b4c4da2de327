import { copy, weekdayNames } from '../checkin/copy.ts';
import { formatDay, formatWhen, parsePause, parseScheduleRequest } from '../checkin/schedule.ts';
import { answerLine, block } from '../checkin/summary.ts';
import { findQuestion, TEMPLATES } from '../checkin/templates.ts';
import type { Segment, TemplateId } from '../checkin/types.ts';
import { visibleHistory } from '../checkin/visibility.ts';
import type { CoupleRow } from '../store/repo.ts';
import { channelStatusLines, endChannelsOfCouple } from './channels.ts';
import { abandonOpenRound } from './checkin.ts';
import { bold, type Ctx, code, italic, para, queue, resourceParagraphs, say, sayText } from './context.ts';
import { INDEFINITE, isPaused, partnerOf, scheduleOf } from './couples.ts';
import { nextCheckinText, notifyPairingEnded } from './onboarding.ts';

const HISTORY_ROUNDS = 5;

/** /status: paired or not, the rhythm, the next check-in, a pause, an open round. */
export function status(ctx: Ctx): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  const lines: string[] = [];
  if (!couple) lines.push(copy.status.notPaired);
  else {
    lines.push(couple.kind === 'pair' ? copy.status.paired : copy.status.solo);
    const partner = partnerOf(couple, ctx.member.id);
    if (partner !== null && ctx.repo.member(partner)?.unreachableAt)
      lines.push(copy.status.partnerUnreachable);
    const s = scheduleOf(couple);
    lines.push(
      copy.status.schedule(s.weekdays.map((d) => weekdayNames[d]).join(', '), s.localTime, s.timeZone),
    );
    if (isPaused(couple, ctx.now)) lines.push(pausedLine(ctx, couple));
    else lines.push(copy.status.next(nextCheckinText(ctx, couple, ctx.member)));
    const open = ctx.repo.openRoundOf(couple.id);
    if (open) {
      const sent = ctx.repo.participation(open.id, ctx.member.id)?.submittedAt != null;
      lines.push(sent ? copy.status.openSent : copy.status.open);
    }
    lines.push(...channelStatusLines(ctx, couple.id, ctx.member.id));
  }
  sayText(ctx, ...lines);
}

function pausedLine(ctx: Ctx, couple: CoupleRow): string {
  return couple.pausedUntil === INDEFINITE
    ? copy.status.pausedIndefinitely
    : copy.status.pausedUntil(
        formatDay(couple.pausedUntil!, ctx.member.timeZone ?? couple.timeZone, ctx.now),
      );
}

/** Queues a neutral notice of this change to the actor's partner, if they have one. */
function tellPartner(ctx: Ctx, couple: CoupleRow, kind: string): void {
  const partner = partnerOf(couple, ctx.member.id);
  if (partner !== null) queue(ctx, { memberId: partner, kind, dedupeKey: `${kind}:${couple.id}:${ctx.now}` });
}

/** /pause [until …]: quiet for the partner, who sees only that check-ins are paused. */
export function pause(ctx: Ctx, args: string): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (!couple) return sayText(ctx, copy.pause.nothingToPause);
  const zone = ctx.member.timeZone ?? couple.timeZone;
  const parsed = parsePause(args, ctx.now, zone);
  if (parsed.kind === 'invalid') return sayText(ctx, copy.pause.invalid);
  const until = parsed.kind === 'until' ? parsed.until : INDEFINITE;
  ctx.repo.updateCouple(couple.id, { pausedUntil: until });
  ctx.changed.add(couple.id);
  ctx.repo.audit('paused', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  tellPartner(ctx, couple, 'paused');
  sayText(
    ctx,
    until === INDEFINITE ? copy.pause.pausedIndefinitely : copy.pause.paused(formatDay(until, zone, ctx.now)),
    copy.pause.howToResume,
  );
}

/** /resume. */
export function resume(ctx: Ctx): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (!couple || !isPaused(couple, ctx.now)) return sayText(ctx, copy.pause.notPaused);
  const resumed = ctx.repo.updateCouple(couple.id, { pausedUntil: null });
  ctx.changed.add(couple.id);
  ctx.repo.audit('resumed', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  tellPartner(ctx, couple, 'resumed');
  sayText(ctx, copy.pause.resumed, copy.status.next(nextCheckinText(ctx, resumed, ctx.member)));
}

/** /history: the person's own answers and what they were shown of their partner's, recent first. */
export function history(ctx: Ctx): void {
  const ids = ctx.repo.recentRoundIdsOf(ctx.member.id, HISTORY_ROUNDS);
  if (ids.length === 0) return sayText(ctx, copy.history.none);
  const paragraphs: Segment[][] = [para(bold(copy.history.heading))];
  const zone = ctx.member.timeZone ?? 'UTC';
  for (const { round, answers } of visibleHistory(ctx.repo.roundViews(ids), {
    kind: 'member',
    memberId: ctx.member.id,
  })) {
    paragraphs.push(para(bold(copy.history.round(formatWhen(round.openedAt, zone, ctx.now)))));
    const lines = (list: typeof answers, empty: string): Segment[][] =>
      list.length === 0
        ? [[italic(empty)]]
        : list.map((a) => {
            const line = answerLine(findQuestion(round.template, a.questionId), a);
            const keptPrivate = a.memberId === ctx.member.id && a.value !== null && !a.shared;
            return keptPrivate && round.participants.length > 1
              ? [...line, italic(` (${copy.history.private})`)]
              : line;
          });
    paragraphs.push(
      block(
        italic(copy.history.you),
        lines(
          answers.filter((a) => a.memberId === ctx.member.id),
          copy.history.noAnswers,
        ),
      ),
    );
    if (round.participants.length > 1) {
      paragraphs.push(
        block(
          italic(copy.history.partner),
          lines(
            answers.filter((a) => a.memberId !== ctx.member.id),
            copy.history.notShown,
          ),
        ),
      );
    }
  }
  paragraphs.push(para(copy.history.more));
  say(ctx, paragraphs, { kind: 'summary', protect: true });
}

/** /export: everything held about the person, as JSON: their own data and what they were shown. */
export function exportData(ctx: Ctx): void {
  const m = ctx.member;
  const ids = ctx.repo.recentRoundIdsOf(m.id, 100_000);
  const rounds = visibleHistory(ctx.repo.roundViews(ids), { kind: 'member', memberId: m.id }).map(
    ({ round, answers }) => ({
      openedAt: new Date(round.openedAt).toISOString(),
      template: round.template,
      status: round.status,
      answers: answers.map((a) => ({
        by: a.memberId === m.id ? 'you' : 'partner',
        question: findQuestion(round.template, a.questionId)?.label ?? a.questionId,
        answer: a.value,
        shared: a.shared,
      })),
    }),
  );
  const couple = ctx.repo.activeCoupleOf(m.id);
  const data = {
    exportedAt: new Date(ctx.now).toISOString(),
    you: {
      platform: m.platform,
      displayName: ctx.repo.displayName(m),
      role: m.role,
      timeZone: m.timeZone,
      locale: m.locale,
      joinedAt: new Date(m.createdAt).toISOString(),
    },
    checkins: couple
      ? {
          kind: couple.kind,
          template: couple.template,
          schedule: scheduleOf(couple),
          pausedUntil: couple.pausedUntil,
        }
      : null,
    consents: ctx.repo.consentsOf(m.id).map((c) => ({
      scope: c.scope,
      version: c.version,
      grantedAt: new Date(c.grantedAt).toISOString(),
      revokedAt: c.revokedAt ? new Date(c.revokedAt).toISOString() : null,
    })),
    rounds,
  };
  ctx.repo.audit('exported', ctx.now, { memberId: m.id });
  say(ctx, [para(copy.exported)], {
    kind: 'export',
    attachment: {
      filename: 'my-check-ins.json',
      mimeType: 'application/json',
      data: JSON.stringify(data, null, 2),
    },
  });
}

/** /clear: ask the adapter to delete the bot's messages of the latest check-in. */
export function clear(ctx: Ctx): void {
  const { rows } = ctx.repo.latestSent(ctx.member.id);
  if (rows.length === 0) return sayText(ctx, copy.clear.nothing);
  ctx.repo.forgetSent(rows.map((r) => r.id));
  ctx.out.push({ type: 'delete', to: ctx.chat, messageIds: rows.map((r) => r.messageId) });
  sayText(ctx, copy.clear.done);
}

/** /unpair: confirm first. */
export function unpair(ctx: Ctx): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (couple?.kind !== 'pair') return sayText(ctx, copy.pairing.notPaired);
  confirm(ctx, 'unpair', copy.pairing.unpairConfirm, copy.pairing.unpairButton);
}

/** /delete: confirm first. */
export function deleteMe(ctx: Ctx): void {
  confirm(ctx, 'delete', copy.deletion.confirm, copy.deletion.button);
}

function confirm(ctx: Ctx, what: 'unpair' | 'delete', text: string, label: string): void {
  ctx.repo.setConversation(
    ctx.member,
    { step: `${what}:confirm`, roundId: null, questionId: null, draft: null },
    ctx.now,
  );
  const t = ctx.deps.tokens;
  say(ctx, [para(text)], {
    kind: 'question',
    buttons: [
      [
        { label, token: t.mint(ctx.member.id, what, 'y') },
        { label: copy.deletion.cancel, token: t.mint(ctx.member.id, what, 'n') },
      ],
    ],
  });
}

/** The answer to an unpair or delete confirmation. */
export function confirmed(ctx: Ctx, what: 'unpair' | 'delete', yes: boolean): void {
  const step = ctx.repo.conversation(ctx.member)?.step;
  if (step !== `${what}:confirm`) return say(ctx, [para(copy.checkin.staleGeneric)], { replace: true });
  ctx.repo.clearConversation(ctx.member.id);
  if (!yes)
    return say(ctx, [para(what === 'delete' ? copy.deletion.cancelled : copy.cancelled)], { replace: true });
  if (what === 'unpair') {
    endPairing(ctx);
    return say(ctx, [para(copy.pairing.unpaired)], { replace: true });
  }
  endPairing(ctx);
  const id = ctx.member.id;
  for (const solo of ctx.repo.soloCouplesOf(id)) {
    ctx.repo.deleteCouple(solo.id);
    ctx.changed.add(solo.id);
  }
  ctx.repo.deleteMember(id);
  ctx.repo.audit('deleted', ctx.now);
  // Old copies of the deleted pages (the wrapped key among them) can linger in the WAL.
  ctx.after.push(() => ctx.repo.store.sqlite.pragma('wal_checkpoint(TRUNCATE)'));
  say(ctx, [para(copy.deletion.done)], { replace: true });
}

function endPairing(ctx: Ctx): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (couple?.kind !== 'pair') return;
  abandonOpenRound(ctx, couple);
  endChannelsOfCouple(ctx, couple);
  ctx.repo.updateCouple(couple.id, { status: 'ended', endedAt: ctx.now });
  ctx.changed.add(couple.id);
  ctx.repo.audit('unpaired', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  const partner = partnerOf(couple, ctx.member.id);
  if (partner !== null) notifyPairingEnded(ctx, couple, partner);
}

/** /support. */
export function supportNow(ctx: Ctx): void {
  say(ctx, resourceParagraphs(ctx, ctx.member), { kind: 'resources' });
}

/** /privacy. */
export function privacy(ctx: Ctx): void {
  say(
    ctx,
    copy.privacy.map((l) => para(l)),
  );
}

/** /help. */
export function help(ctx: Ctx): void {
  const lines: Segment[] = [bold(copy.help.heading)];
  for (const [cmd, what] of copy.help.commands)
    lines.push({ style: 'plain', text: '\n' }, code(cmd), { style: 'plain', text: ` — ${what}` });
  say(ctx, [lines, para(copy.help.stop)]);
}

/** The couple a member's rhythm belongs to: their pair, or their own solo one (created on first use). */
function rhythmOf(ctx: Ctx): CoupleRow {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  if (couple) return couple;
  const solo = ctx.repo.createCouple({
    kind: 'solo',
    memberA: ctx.member.id,
    timeZone: ctx.member.timeZone ?? 'UTC',
    createdAt: ctx.now,
  });
  ctx.changed.add(solo.id);
  return solo;
}

function rhythmLine(couple: CoupleRow): string {
  const s = scheduleOf(couple);
  return copy.status.schedule(s.weekdays.map((d) => weekdayNames[d]).join(', '), s.localTime, s.timeZone);
}

/** /schedule [days time [zone]]: show or change the rhythm; the partner is told of a change. */
export function schedule(ctx: Ctx, args: string): void {
  if (!args.trim()) {
    const couple = ctx.repo.activeCoupleOf(ctx.member.id);
    const lines = couple
      ? [rhythmLine(couple), copy.status.next(nextCheckinText(ctx, couple, ctx.member))]
      : [];
    return sayText(ctx, ...lines, copy.schedule.how);
  }
  const req = parseScheduleRequest(args);
  if (!req.ok) return sayText(ctx, copy.schedule.invalid, copy.schedule.how);
  const couple = rhythmOf(ctx);
  const updated = ctx.repo.updateCouple(couple.id, {
    weekdays: req.weekdays.join(','),
    localTime: req.localTime,
    timeZone: req.timeZone ?? couple.timeZone,
  });
  ctx.changed.add(couple.id);
  ctx.repo.audit('schedule-changed', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  tellPartner(ctx, updated, 'schedule-changed');
  sayText(
    ctx,
    copy.schedule.changed,
    rhythmLine(updated),
    copy.status.next(nextCheckinText(ctx, updated, ctx.member)),
  );
}

/** /template: choose the check-in format for the next rounds. */
export function template(ctx: Ctx): void {
  const couple = ctx.repo.activeCoupleOf(ctx.member.id);
  const current = couple?.template ?? 'rebuild-trust';
  const t = ctx.deps.tokens;
  const ids = Object.keys(TEMPLATES) as TemplateId[];
  say(
    ctx,
    [
      para(copy.template.ask),
      ...ids.map((id) => para(bold(TEMPLATES[id].name), `: ${TEMPLATES[id].intro}`)),
      para(copy.template.current(TEMPLATES[current].name)),
    ],
    {
      kind: 'question',
      buttons: [ids.map((id) => ({ label: TEMPLATES[id].name, token: t.mint(ctx.member.id, 'tpl', id) }))],
    },
  );
}

/** A template button: takes effect from the next round; the partner is told. */
export function chooseTemplate(ctx: Ctx, id: string): void {
  if (!Object.hasOwn(TEMPLATES, id)) return sayText(ctx, copy.checkin.staleGeneric);
  const couple = rhythmOf(ctx);
  ctx.repo.updateCouple(couple.id, { template: id as TemplateId });
  ctx.repo.audit('template-changed', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  tellPartner(ctx, couple, 'template-changed');
  say(ctx, [para(copy.template.changed(TEMPLATES[id as TemplateId].name))], { replace: true });
}
