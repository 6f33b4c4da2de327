import { copy } from '../checkin/copy.ts';
import { canonicalZone, formatWhen, nextOccurrence } from '../checkin/schedule.ts';
import type { Role } from '../checkin/types.ts';
import { hashCode, newCode } from '../store/crypto.ts';
import type { CoupleRow, MemberRow } from '../store/repo.ts';
import { abandonOpenRound } from './checkin.ts';
import { type Ctx, code, para, queue, resourceParagraphs, rows, say, sayText, type Work } from './context.ts';
import { INDEFINITE, scheduleOf } from './couples.ts';

/** How long a one-time code (a pairing invite, a channel link) works. */
export const INVITE_TTL = 48 * 3600_000;
const JOIN_WINDOW = 15 * 60_000;
const JOIN_TRIES = 5;
const ROLES: Role[] = ['recovery', 'partner', 'unspecified'];
const SAFETY = ['yes', 'no', 'unspecified'] as const;

/** Where an unfinished onboarding stands, if it does. */
export function onboardingStep(ctx: Ctx): string | null {
  if (ctx.member.onboardedAt) return null;
  // A /delete confirmation may sit in the conversation meanwhile; set-up then starts over.
  const step = ctx.repo.conversation(ctx.member)?.step;
  return step?.startsWith('onboarding:') ? step : 'onboarding:role';
}

/** /start: welcome a new person (or resume their onboarding); a code in the args is a pairing invite. */
export function start(ctx: Ctx, args: string): void {
  const pending = args.trim() ? hashCode(args.trim()) : null;
  if (ctx.member.onboardedAt) {
    if (pending) return offerJoin(ctx, pending);
    sayText(ctx, copy.onboarding.welcomeBack);
    return;
  }
  const conv = ctx.repo.conversation(ctx.member);
  const draft = { ...(conv?.draft ?? {}), ...(pending ? { invite: pending } : {}) };
  const step = conv?.step.startsWith('onboarding:') ? conv.step : 'onboarding:role';
  ctx.repo.setConversation(ctx.member, { step, roundId: null, questionId: null, draft }, ctx.now);
  if (step === 'onboarding:role') {
    say(ctx, [para(copy.onboarding.welcome), para(copy.onboarding.privacy)]);
  }
  showOnboardingStep(ctx, step);
}

/** Asks the question of an onboarding step again (after a restart, an odd input, or a command). */
export function showOnboardingStep(ctx: Ctx, step: string): void {
  const t = ctx.deps.tokens;
  const id = ctx.member.id;
  if (step === 'onboarding:role') {
    say(ctx, [para(copy.onboarding.role)], {
      buttons: ROLES.map((r) => [{ label: copy.onboarding.roles[r], token: t.mint(id, 'role', r) }]),
      kind: 'question',
    });
  } else if (step === 'onboarding:zone') {
    const zones = copy.onboarding.commonZones.map(([, label], i) => ({
      label,
      token: t.mint(id, 'zone', i),
    }));
    say(ctx, [para(copy.onboarding.zone), para(copy.onboarding.zoneHint)], {
      buttons: rows(zones, 3),
      expectsText: { maxLength: 64, token: t.mint(id, 'zonetext'), label: copy.onboarding.zoneFormLabel },
      kind: 'question',
    });
  } else {
    say(ctx, [para(copy.onboarding.safety)], {
      buttons: [
        SAFETY.map((s) => ({ label: copy.onboarding.safetyOptions[s], token: t.mint(id, 'safe', s) })),
      ],
      kind: 'question',
    });
  }
}

function advance(ctx: Ctx, step: string): void {
  const conv = ctx.repo.conversation(ctx.member);
  ctx.repo.setConversation(
    ctx.member,
    { step, roundId: null, questionId: null, draft: conv?.draft ?? null },
    ctx.now,
  );
  showOnboardingStep(ctx, step);
}

/** A button pressed during onboarding. */
export function onboardingChoice(ctx: Ctx, action: string, arg: string): boolean {
  const step = onboardingStep(ctx);
  if (action === 'role' && step === 'onboarding:role' && (ROLES as string[]).includes(arg)) {
    ctx.member = ctx.repo.updateMember(ctx.member.id, { role: arg as Role });
    advance(ctx, 'onboarding:zone');
    return true;
  }
  if (action === 'zone' && step === 'onboarding:zone') {
    const zone = copy.onboarding.commonZones[Number(arg)]?.[0];
    if (!zone) return false;
    setZone(ctx, zone);
    return true;
  }
  if (action === 'safe' && step === 'onboarding:safety' && (SAFETY as readonly string[]).includes(arg)) {
    finishOnboarding(ctx, arg as (typeof SAFETY)[number]);
    return true;
  }
  return false;
}

/** Free text during onboarding: only the time zone step takes text. */
export function onboardingText(ctx: Ctx, text: string): void {
  const step = onboardingStep(ctx)!;
  if (step !== 'onboarding:zone') {
    sayText(ctx, copy.onboarding.useButtons);
    showOnboardingStep(ctx, step);
    return;
  }
  const zone = canonicalZone(text.trim());
  if (!zone) {
    sayText(ctx, copy.onboarding.zoneUnknown);
    return;
  }
  setZone(ctx, zone);
}

function setZone(ctx: Ctx, zone: string): void {
  ctx.member = ctx.repo.updateMember(ctx.member.id, { timeZone: zone });
  sayText(ctx, copy.onboarding.zoneSet(zone));
  advance(ctx, 'onboarding:safety');
}

function finishOnboarding(ctx: Ctx, answer: (typeof SAFETY)[number]): void {
  const invite = ctx.repo.conversation(ctx.member)?.draft?.invite ?? null;
  ctx.member = ctx.repo.updateMember(ctx.member.id, { onboardedAt: ctx.now, solo: answer === 'no' });
  ctx.repo.clearConversation(ctx.member.id);
  ctx.repo.audit('onboarded', ctx.now, { memberId: ctx.member.id });
  if (answer === 'no') {
    // Only the neutral solo flag is kept; a pending invite simply stays unused.
    say(
      ctx,
      [
        ...resourceParagraphs(ctx, ctx.member),
        para(copy.onboarding.notSafe),
        para(copy.onboarding.soloOffer),
      ],
      {
        kind: 'resources',
      },
    );
    return;
  }
  if (invite) return offerJoin(ctx, invite);
  sayText(ctx, copy.onboarding.done);
}

// ---- pairing ----------------------------------------------------------------------------------

/** /pair: a one-time invite for the partner. */
export function pair(ctx: Ctx): void {
  if (pairOf(ctx, ctx.member.id)) return sayText(ctx, copy.pairing.alreadyPaired);
  const secret = newCode();
  ctx.repo.dropUnusedInvites(ctx.member.id, 'pair');
  ctx.repo.createInvite({
    kind: 'pair',
    codeHash: hashCode(secret),
    createdBy: ctx.member.id,
    expiresAt: ctx.now + INVITE_TTL,
    createdAt: ctx.now,
  });
  ctx.repo.audit('invite-created', ctx.now, { memberId: ctx.member.id });
  const link = ctx.deps.inviteLink?.(ctx.member.platform, secret) ?? null;
  const paragraphs = [para(copy.pairing.invite(link ?? copy.pairing.noLink))];
  paragraphs.push(para(copy.pairing.inviteCode), para(code(copy.pairing.joinCommand(secret))));
  say(ctx, paragraphs, { protect: true });
}

/** The active pair (not solo) a member is in. */
export function pairOf(w: Work, memberId: number): CoupleRow | undefined {
  const c = w.repo.activeCoupleOf(memberId);
  return c?.kind === 'pair' ? c : undefined;
}

/** /join <code>: check the code, then ask to confirm. Wrong guesses are slowed down. */
export function join(ctx: Ctx, args: string): void {
  const secret = args.trim();
  if (!secret) return sayText(ctx, copy.pairing.needCode);
  offerJoin(ctx, hashCode(secret));
}

function offerJoin(ctx: Ctx, inviteHash: string): void {
  if (pairOf(ctx, ctx.member.id)) return sayText(ctx, copy.pairing.alreadyPaired);
  if (throttled(ctx)) return sayText(ctx, copy.pairing.slowDown);
  if (!usableInvite(ctx, inviteHash)) return refuse(ctx);
  ctx.repo.setConversation(
    ctx.member,
    { step: 'join:confirm', roundId: null, questionId: null, draft: { invite: inviteHash } },
    ctx.now,
  );
  const t = ctx.deps.tokens;
  say(ctx, [para(copy.pairing.invited)], {
    buttons: [
      [
        { label: copy.pairing.joinButton, token: t.mint(ctx.member.id, 'join', 'y') },
        { label: copy.pairing.notNow, token: t.mint(ctx.member.id, 'join', 'n') },
      ],
    ],
    kind: 'question',
  });
}

/** Too many wrong codes from this person lately: wait before trying another. */
export function throttled(ctx: Ctx): boolean {
  const m = ctx.member;
  return (
    m.failedJoins >= JOIN_TRIES && m.failedJoinsSince !== null && ctx.now - m.failedJoinsSince < JOIN_WINDOW
  );
}

function refuse(ctx: Ctx): void {
  refuseCode(ctx, copy.pairing.badCode, copy.pairing.slowDown);
}

/** A code that does not work: counted towards the throttle, and answered the same whatever the reason. */
export function refuseCode(ctx: Ctx, badCode: string, slowDown: string): void {
  const m = ctx.member;
  const fresh = m.failedJoinsSince === null || ctx.now - m.failedJoinsSince >= JOIN_WINDOW;
  ctx.member = ctx.repo.updateMember(m.id, {
    failedJoins: fresh ? 1 : m.failedJoins + 1,
    failedJoinsSince: fresh ? ctx.now : m.failedJoinsSince,
  });
  ctx.repo.audit('code-refused', ctx.now, { memberId: m.id });
  sayText(ctx, throttled(ctx) ? slowDown : badCode);
}

function usableInvite(ctx: Ctx, inviteHash: string): { inviteId: number; inviter: MemberRow } | null {
  const invite = ctx.repo.inviteByHash(inviteHash);
  if (invite?.kind !== 'pair' || invite.usedAt !== null || invite.expiresAt <= ctx.now) return null;
  if (invite.createdBy === null || invite.createdBy === ctx.member.id) return null;
  const inviter = ctx.repo.member(invite.createdBy);
  if (!inviter?.onboardedAt || pairOf(ctx, inviter.id)) return null;
  return { inviteId: invite.id, inviter };
}

/** [Join] / [Not now] after an invitation. */
export function joinChoice(ctx: Ctx, yes: boolean): void {
  const conv = ctx.repo.conversation(ctx.member);
  const inviteHash = conv?.step === 'join:confirm' ? conv.draft?.invite : undefined;
  if (!inviteHash) return sayText(ctx, copy.checkin.staleGeneric);
  ctx.repo.clearConversation(ctx.member.id);
  if (!yes) {
    say(ctx, [para(copy.pairing.declined)], { replace: true });
    return;
  }
  if (pairOf(ctx, ctx.member.id)) return sayText(ctx, copy.pairing.alreadyPaired);
  const ok = usableInvite(ctx, inviteHash);
  if (!ok || !ctx.repo.useInvite(ok.inviteId, ctx.now)) return refuse(ctx);
  for (const id of [ok.inviter.id, ctx.member.id]) {
    for (const solo of ctx.repo.soloCouplesOf(id)) {
      if (solo.status !== 'active') continue;
      abandonOpenRound(ctx, solo);
      ctx.repo.updateCouple(solo.id, { status: 'ended', endedAt: ctx.now });
      ctx.changed.add(solo.id);
    }
  }
  const couple = ctx.repo.createCouple({
    kind: 'pair',
    memberA: ok.inviter.id,
    memberB: ctx.member.id,
    timeZone: ok.inviter.timeZone ?? ctx.member.timeZone ?? 'UTC',
    createdAt: ctx.now,
  });
  ctx.changed.add(couple.id);
  ctx.repo.updateMember(ctx.member.id, { failedJoins: 0, failedJoinsSince: null });
  ctx.repo.audit('paired', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  queue(ctx, { memberId: ok.inviter.id, kind: 'paired', dedupeKey: `paired:${couple.id}` });
  say(ctx, [para(copy.pairing.connected(nextCheckinText(ctx, couple, ctx.member)))], { replace: true });
}

/** "Sunday 19:00", in the reader's zone, for the couple's next check-in; or "not scheduled". */
export function nextCheckinText(w: Work, couple: CoupleRow, reader: MemberRow): string {
  // An open-ended pause has no next check-in (and its far-future marker is no date to format).
  if (couple.pausedUntil === INDEFINITE) return copy.status.afterResume;
  const next = nextOccurrence(scheduleOf(couple), Math.max(w.now, couple.pausedUntil ?? 0));
  return next === null
    ? copy.status.notScheduled
    : formatWhen(next, reader.timeZone ?? couple.timeZone, w.now);
}

/** Sends a member's private chat a neutral "pairing ended" through the outbox. */
export function notifyPairingEnded(w: Work, couple: CoupleRow, partnerId: number): void {
  queue(w, { memberId: partnerId, kind: 'pairing-ended', dedupeKey: `ended:${couple.id}:${partnerId}` });
}
