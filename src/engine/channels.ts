import { copy } from '../checkin/copy.ts';
import { block, buildSummary, type SummaryLabels, scoreLines, TREND_ROUNDS } from '../checkin/summary.ts';
import { cleanName } from '../checkin/text.ts';
import type { ConsentScope, Recipient, Segment } from '../checkin/types.ts';
import { openedAfter } from '../checkin/visibility.ts';
import { hashCode, newCode } from '../store/crypto.ts';
import type { ChannelRow, CoupleRow, MemberRow, OutboxRow, RoundRow } from '../store/repo.ts';
import { bold, type Ctx, code, para, queue, say, sayText, type Work } from './context.ts';
import { membersOf, partnerOf } from './couples.ts';
import { INVITE_TTL, pairOf, refuseCode, throttled } from './onboarding.ts';
import type { Rendered } from './render.ts';
import type { Button, ChatRef, Inbound, OutboundMessage } from './types.ts';

// Therapist channels (DESIGN.md, privacy rule 4). A therapist runs /link in a group; a partner
// redeems the code privately; the channel posts only after both partners agreed, only two-sided
// reveals of rounds opened after that, within the narrower of their two scopes. Every post is
// rendered at send time from the visibility function, so a revoke, an unpair or a deletion
// since the row was queued changes what (or whether) it sends.

/** The version of the consent text; a person agreed to the wording of this version. */
export const CONSENT_VERSION = 1;

/** Group commands whose adapters must supply ChatInfo (who may manage the chat, its name, its size). */
export const CHAT_INFO_COMMANDS: ReadonlySet<string> = new Set(['link']);

type GroupCommand = Extract<Inbound, { kind: 'command' }>;

function groupReply(chat: ChatRef, paragraphs: Segment[][]): OutboundMessage[] {
  return [{ type: 'message', to: chat, kind: 'reply', paragraphs, private: true }];
}

/** /link in a group: a one-time code for the couple, if the actor manages the group. */
export function link(w: Work, inbound: GroupCommand): OutboundMessage[] {
  const { chat } = inbound;
  const info = inbound.chatInfo;
  // No info means the adapter could not ask the platform; saying "not an admin" would be wrong.
  if (!info) return groupReply(chat, [para(copy.somethingWrong)]);
  if (!info.actorCanManage) return groupReply(chat, [para(copy.channel.notManager)]);
  if (!info.botCanPost) return groupReply(chat, [para(copy.channel.cannotPost)]);
  const existing = w.repo.channelByChat(chat.platform, chat.chatId);
  if (existing?.status === 'awaiting-consent' || existing?.status === 'active') {
    return groupReply(chat, [para(copy.channel.alreadyLinked)]);
  }
  const channel = w.repo.startLinking(
    chat.platform,
    chat.chatId,
    cleanName(info.title),
    info.memberCount,
    w.now,
  );
  w.repo.dropUnusedChannelInvites(channel.id);
  const secret = newCode();
  w.repo.createInvite({
    kind: 'channel',
    codeHash: hashCode(secret),
    channelId: channel.id,
    expiresAt: w.now + INVITE_TTL,
    createdAt: w.now,
  });
  w.repo.audit('channel-code-created', w.now);
  return groupReply(chat, [
    para(copy.channel.linkCode),
    para(code(copy.channel.linkCommand(secret))),
    para(copy.channel.linkHow),
  ]);
}

/** /trends in a group: the linked couple's consented scores over their latest shared rounds. */
export function trends(w: Work, inbound: GroupCommand): OutboundMessage[] {
  const channel = w.repo.channelByChat(inbound.chat.platform, inbound.chat.chatId);
  const recipient = channel ? channelRecipient(w, channel) : null;
  if (!channel || !recipient) return groupReply(inbound.chat, [para(copy.channel.notLinked)]);
  const couple = w.repo.couple(channel.coupleId!)!;
  const ids = w.repo.revealedRoundIdsSince(couple.id, recipient.consentedAt, TREND_ROUNDS);
  const lines = scoreLines(
    w.repo.roundViews(ids),
    recipient,
    membersOf(couple),
    channelLabels(couple),
    () => true,
  );
  if (lines.length === 0) return groupReply(inbound.chat, [para(copy.channel.noTrends)]);
  return groupReply(inbound.chat, [para(bold(copy.channel.trendsHeading(ids.length))), block(null, lines)]);
}

/** /help (or /start) in a group: what the bot answers there. */
export function groupHelp(_w: Work, inbound: GroupCommand): OutboundMessage[] {
  return groupReply(inbound.chat, [para(copy.channel.groupHelp)]);
}

/**
 * What a channel may be shown now, or null when it may be shown nothing: it must be active,
 * its couple still a pair, and both partners' consents in force. The scope is the narrower one.
 */
export function channelRecipient(
  w: Work,
  channel: ChannelRow,
): Extract<Recipient, { kind: 'channel' }> | null {
  if (channel.status !== 'active' || channel.activatedAt === null || channel.coupleId === null) return null;
  const couple = w.repo.couple(channel.coupleId);
  if (couple?.status !== 'active' || couple.kind !== 'pair') return null;
  const members = membersOf(couple);
  const consents = w.repo.activeConsents(channel.id);
  const scopes = members.map((m) => consents.find((c) => c.memberId === m)?.scope);
  if (members.length !== 2 || scopes.some((s) => s === undefined)) return null;
  return {
    kind: 'channel',
    channelId: channel.id,
    scope: scopes.includes('scores') ? 'scores' : 'words',
    consentedAt: channel.activatedAt,
  };
}

/** How the partners appear in a channel: by their place in the couple, never by name. */
export function channelLabels(couple: CoupleRow): SummaryLabels {
  const [first, second] = copy.channel.partnerLabels;
  return { author: (id) => (id === couple.memberA ? first : second) };
}

function labelOf(couple: CoupleRow, memberId: number): string {
  return channelLabels(couple).author(memberId);
}

// ---- in a partner's private chat ----------------------------------------------------------------

/** /therapist [code]: redeem a channel code, or show the couple's channels and where each stands. */
export function therapist(ctx: Ctx, args: string): void {
  const couple = pairOf(ctx, ctx.member.id);
  const secret = args.trim();
  if (!secret) return showChannels(ctx, couple);
  if (!couple) return sayText(ctx, copy.channel.notPaired);
  if (throttled(ctx)) return sayText(ctx, copy.channel.slowDown);
  const invite = ctx.repo.inviteByHash(hashCode(secret));
  const usable = invite?.kind === 'channel' && invite.usedAt === null && invite.expiresAt > ctx.now;
  const channel = usable && invite.channelId !== null ? ctx.repo.channel(invite.channelId) : undefined;
  // Used, expired, bound to someone else's couple or never issued: one and the same refusal.
  if (channel?.status !== 'linking' || !ctx.repo.useInvite(invite!.id, ctx.now)) {
    return refuseCode(ctx, copy.channel.badCode, copy.channel.slowDown);
  }
  const bound = ctx.repo.updateChannel(channel.id, {
    coupleId: couple.id,
    status: 'awaiting-consent',
    boundAt: ctx.now,
  });
  ctx.repo.updateMember(ctx.member.id, { failedJoins: 0, failedJoinsSince: null });
  // Notices of an event are keyed by that event's audit id: one notice per event, however often
  // the same channel is linked, agreed to and ended.
  const event = ctx.repo.audit('channel-bound', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  queue(ctx, {
    channelId: bound.id,
    kind: 'channel-linked',
    dedupeKey: `channel-linked:${event}`,
  });
  const partner = partnerOf(couple, ctx.member.id);
  if (partner !== null) {
    queue(ctx, {
      memberId: partner,
      channelId: bound.id,
      kind: 'consent-ask',
      dedupeKey: `consent-ask:${event}:${partner}`,
    });
  }
  const ask = consentAsk(ctx, bound, couple, ctx.member);
  say(ctx, ask.paragraphs, { kind: 'question', buttons: ask.buttons });
}

function showChannels(ctx: Ctx, couple: CoupleRow | undefined): void {
  const channels = couple ? ctx.repo.channelsOfCouple(couple.id) : [];
  if (!couple || channels.length === 0) {
    return sayText(ctx, couple ? copy.channel.none : copy.channel.needCode);
  }
  for (const channel of channels) {
    const s = standing(ctx, channel, ctx.member.id);
    if (!s.waitingForYou) {
      sayText(ctx, s.line, copy.channel.howToStop);
      continue;
    }
    const ask = consentAsk(ctx, channel, couple, ctx.member);
    say(ctx, ask.paragraphs, { kind: 'question', buttons: ask.buttons });
  }
}

/** Where a channel stands for one partner, as a line, and whether it waits for their answer. */
function standing(w: Work, channel: ChannelRow, memberId: number): { line: string; waitingForYou: boolean } {
  const recipient = channelRecipient(w, channel);
  const mine = w.repo.activeConsents(channel.id).some((c) => c.memberId === memberId);
  const states = copy.channel.states;
  const state = recipient
    ? states.active(recipient.scope)
    : mine
      ? states.waitingForPartner
      : states.waitingForYou;
  return {
    line: copy.channel.statusLine(w.repo.channelTitle(channel) ?? '', state),
    waitingForYou: !recipient && !mine,
  };
}

/** /status lines about the couple's therapist channels. */
export function channelStatusLines(w: Work, coupleId: number, memberId: number): string[] {
  return w.repo.channelsOfCouple(coupleId).map((c) => standing(w, c, memberId).line);
}

/** The consent request for one partner: what will be posted, where, and how to stop it. */
function consentAsk(
  w: Work,
  channel: ChannelRow,
  couple: CoupleRow,
  member: MemberRow,
): { paragraphs: Segment[][]; buttons: Button[][] } {
  const lines = copy.channel.consentAsk(
    w.repo.channelTitle(channel) ?? '',
    channel.memberCount,
    labelOf(couple, member.id),
  );
  const t = w.deps.tokens;
  const button = (label: string, choice: string): Button[] => [
    { label, token: t.mint(member.id, 'consent', channel.id, choice) },
  ];
  return {
    paragraphs: lines.map((l) => para(l)),
    buttons: [
      button(copy.channel.agreeScores, 's'),
      button(copy.channel.agreeWords, 'w'),
      button(copy.channel.notNow, 'n'),
    ],
  };
}

/** A consent button: agree with a scope, or not now. Both agreeing activates the channel. */
export function consentChoice(ctx: Ctx, channelId: number, choice: string): void {
  const channel = ctx.repo.channel(channelId);
  const couple = pairOf(ctx, ctx.member.id);
  if (!channel || !couple || channel.coupleId !== couple.id || channel.status !== 'awaiting-consent') {
    const agreed = channel?.status === 'active' && channel.coupleId === couple?.id;
    const title = channel ? ctx.repo.channelTitle(channel) : null;
    return say(ctx, [para(agreed && title ? copy.channel.alreadyAgreed(title) : copy.channel.inviteEnded)], {
      replace: true,
    });
  }
  if (choice !== 's' && choice !== 'w') {
    ctx.repo.audit('consent-declined', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
    return say(ctx, [para(copy.channel.declined)], { replace: true });
  }
  const title = ctx.repo.channelTitle(channel) ?? '';
  if (ctx.repo.activeConsents(channel.id).some((c) => c.memberId === ctx.member.id)) {
    return say(ctx, [para(copy.channel.alreadyAgreed(title))], { replace: true });
  }
  const scope: ConsentScope = choice === 's' ? 'scores' : 'words';
  ctx.repo.grantConsent(ctx.member.id, channel.id, scope, CONSENT_VERSION, ctx.now);
  ctx.repo.audit('consent-granted', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  const partner = partnerOf(couple, ctx.member.id);
  if (partner === null || !ctx.repo.activeConsents(channel.id).some((c) => c.memberId === partner)) {
    return say(ctx, [para(copy.channel.waitingForPartner)], { replace: true });
  }
  const active = ctx.repo.updateChannel(channel.id, { status: 'active', activatedAt: ctx.now });
  const event = ctx.repo.audit('channel-active', ctx.now, { coupleId: couple.id });
  queue(ctx, {
    channelId: active.id,
    kind: 'channel-active',
    dedupeKey: `channel-active:${event}`,
  });
  queue(ctx, {
    memberId: partner,
    channelId: active.id,
    kind: 'consent-active',
    dedupeKey: `consent-active:${event}:${partner}`,
  });
  say(ctx, [para(copy.channel.nowActive(title, channelRecipient(ctx, active)!.scope))], { replace: true });
}

/** /revoke: ends every therapist channel of the person's couple at once; the partner is told neutrally. */
export function revoke(ctx: Ctx): void {
  const couple = pairOf(ctx, ctx.member.id);
  const channels = couple ? ctx.repo.channelsOfCouple(couple.id) : [];
  if (!couple || channels.length === 0) return sayText(ctx, copy.channel.nothingToRevoke);
  for (const channel of channels) {
    endChannel(ctx, channel, { reachable: true, tell: membersOf(couple).filter((m) => m !== ctx.member.id) });
  }
  ctx.repo.audit('consent-revoked', ctx.now, { memberId: ctx.member.id, coupleId: couple.id });
  sayText(ctx, copy.channel.revoked);
}

/**
 * Ends a channel's link: every consent to it is revoked, its name wiped, unused codes dropped.
 * The channel hears that sharing ended (when the bot can still reach it); `tell` get a neutral notice.
 */
export function endChannel(w: Work, channel: ChannelRow, o: { reachable: boolean; tell: number[] }): void {
  w.repo.revokeConsents(channel.id, w.now);
  w.repo.dropUnusedChannelInvites(channel.id);
  w.repo.updateChannel(channel.id, { status: 'ended', endedAt: w.now, title: null });
  const event = w.repo.audit('channel-ended', w.now, { coupleId: channel.coupleId });
  if (o.reachable && channel.coupleId !== null) {
    queue(w, {
      channelId: channel.id,
      kind: 'channel-ended',
      dedupeKey: `channel-ended:${event}`,
    });
  }
  for (const memberId of o.tell) {
    queue(w, {
      memberId,
      channelId: channel.id,
      kind: 'consent-ended',
      dedupeKey: `consent-ended:${event}:${memberId}`,
    });
  }
}

/** Ends the channels of a couple whose pairing ends (unpair, delete); the partner hears only of the pairing. */
export function endChannelsOfCouple(w: Work, couple: CoupleRow): void {
  for (const channel of w.repo.channelsOfCouple(couple.id))
    endChannel(w, channel, { reachable: true, tell: [] });
}

/** The platform says the bot can no longer post in a channel (removed, or the channel is gone). */
export function channelUnreachable(w: Work, channelId: number): boolean {
  const channel = w.repo.channel(channelId);
  if (!channel || channel.status === 'ended') return false;
  const couple = channel.coupleId === null ? undefined : w.repo.couple(channel.coupleId);
  endChannel(w, channel, { reachable: false, tell: couple ? membersOf(couple) : [] });
  return true;
}

/**
 * A channel's group now lives under another chat id (a Telegram group upgraded to a supergroup:
 * the same people and name). The link follows it, unless that chat is already a channel of its own.
 */
export function channelMoved(w: Work, channelId: number, chatId: string): boolean {
  const channel = w.repo.channel(channelId);
  if (!channel || channel.status === 'ended') return false;
  if (w.repo.channelByChat(channel.platform, chatId)) return false;
  w.repo.updateChannel(channel.id, { chatId });
  w.repo.audit('channel-moved', w.now, { coupleId: channel.coupleId });
  return true;
}

/** After a two-sided reveal: one post to each active channel of the couple that consented before the round opened. */
export function queueChannelReveals(w: Work, round: RoundRow): void {
  for (const channel of w.repo.channelsOfCouple(round.coupleId)) {
    const recipient = channelRecipient(w, channel);
    if (!recipient || !openedAfter(round, recipient.consentedAt)) continue;
    queue(w, {
      channelId: channel.id,
      kind: 'channel-reveal',
      roundId: round.id,
      dedupeKey: `channel-reveal:${round.id}:${channel.id}`,
    });
  }
}

// ---- rendering at send time ---------------------------------------------------------------------

/** Renders an outbox row addressed to a channel, re-checking consent now. */
export function renderChannelRow(w: Work, row: OutboxRow): Rendered {
  const channel = row.channelId === null ? undefined : w.repo.channel(row.channelId);
  if (!channel) return { cancel: 'channel-gone' };
  const to: ChatRef = { platform: channel.platform, chatId: channel.chatId, kind: 'group' };
  const send = (paragraphs: Segment[][], summary = false): Rendered => ({
    send: {
      type: 'message',
      to,
      kind: summary ? 'summary' : 'notice',
      paragraphs,
      private: false,
      ...(summary ? { protect: true, openerAlone: true } : {}),
    },
  });
  switch (row.kind) {
    case 'channel-linked':
      if (channel.status !== 'awaiting-consent') return { cancel: 'not-awaiting-consent' };
      return send([para(copy.channel.linked)]);
    case 'channel-active': {
      const recipient = channelRecipient(w, channel);
      if (!recipient) return { cancel: 'not-active' };
      return send([para(copy.channel.active(recipient.scope))]);
    }
    case 'channel-ended':
      return send([para(copy.channel.ended)]);
    case 'channel-reveal': {
      const recipient = channelRecipient(w, channel);
      if (!recipient) return { cancel: 'not-active' };
      const view = row.roundId === null ? undefined : w.repo.roundView(row.roundId);
      if (view?.status !== 'revealed' || view.coupleId !== channel.coupleId)
        return { cancel: 'not-revealed' };
      if (!openedAfter(view, recipient.consentedAt)) return { cancel: 'before-consent' };
      const couple = w.repo.couple(view.coupleId)!;
      const earlier = w.repo.roundViews(w.repo.earlierRoundIds(view.coupleId, view.id, TREND_ROUNDS));
      return send(
        [para(copy.channel.revealOpener), ...buildSummary(view, earlier, recipient, channelLabels(couple))],
        true,
      );
    }
    default:
      return { cancel: 'unknown-kind' };
  }
}

/** Renders the channel notices that go to a partner's private chat; null when the row is not one. */
export function renderConsentNotice(
  w: Work,
  row: OutboxRow,
  member: MemberRow,
): { paragraphs: Segment[][]; buttons?: Button[][] } | { cancel: string } | null {
  const channel = row.channelId === null ? undefined : w.repo.channel(row.channelId);
  switch (row.kind) {
    case 'consent-ask': {
      const couple = pairOf(w, member.id);
      if (!channel || !couple || channel.coupleId !== couple.id || channel.status !== 'awaiting-consent')
        return { cancel: 'not-awaiting-consent' };
      if (w.repo.activeConsents(channel.id).some((c) => c.memberId === member.id))
        return { cancel: 'decided' };
      const ask = consentAsk(w, channel, couple, member);
      return { paragraphs: [para(copy.update), ...ask.paragraphs], buttons: ask.buttons };
    }
    case 'consent-active': {
      const recipient = channel ? channelRecipient(w, channel) : null;
      if (!channel || !recipient) return { cancel: 'not-active' };
      const title = w.repo.channelTitle(channel) ?? '';
      return { paragraphs: [para(copy.update), para(copy.channel.nowActive(title, recipient.scope))] };
    }
    case 'consent-ended':
      return { paragraphs: [para(copy.update), para(copy.channel.partnerEnded)] };
    default:
      return null;
  }
}
