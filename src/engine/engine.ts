import { copy } from '../checkin/copy.ts';
import { mentionsCrisis } from '../checkin/crisis.ts';
import { resourcesFor } from '../checkin/resources.ts';
import { cleanName } from '../checkin/text.ts';
import { errorFields } from '../ops/log.ts';
import type { OutboxRow } from '../store/repo.ts';
import * as channels from './channels.ts';
import * as checkin from './checkin.ts';
import { type Ctx, type EngineDeps, para, resourceParagraphs, say, sayText, type Work } from './context.ts';
import { isPaused } from './couples.ts';
import * as onboarding from './onboarding.ts';
import { type Rendered, renderOutbox } from './render.ts';
import * as settings from './settings.ts';
import type { ChatRef, Inbound, Outbound, OutboundMessage } from './types.ts';

/** Commands a person can use before onboarding is finished. */
const BEFORE_ONBOARDING = new Set(['start', 'help', 'privacy', 'support', 'delete']);
const ONBOARDING_ACTIONS = new Set(['role', 'zone', 'zonetext', 'safe', 'delete']);

/** Known commands; anything else gets a kind "I don't know that one". */
const COMMANDS: Record<string, (ctx: Ctx, args: string) => void> = {
  start: onboarding.start,
  join: onboarding.join,
  pair: onboarding.pair,
  checkin: checkin.startCheckin,
  status: settings.status,
  pause: settings.pause,
  resume: settings.resume,
  history: settings.history,
  export: settings.exportData,
  clear: settings.clear,
  unpair: settings.unpair,
  delete: settings.deleteMe,
  privacy: settings.privacy,
  support: settings.supportNow,
  help: settings.help,
  schedule: settings.schedule,
  template: settings.template,
  therapist: channels.therapist,
  revoke: channels.revoke,
};

/** What a group or channel is answered; known check-in commands get a pointer, anything else nothing. */
const GROUP_COMMANDS: Record<
  string,
  (w: Work, inbound: Extract<Inbound, { kind: 'command' }>) => Outbound[]
> = {
  link: channels.link,
  trends: channels.trends,
  help: channels.groupHelp,
  start: channels.groupHelp,
};

const listed = (list: readonly (readonly [string, string])[]) =>
  list.map(([cmd, what]) => ({ name: cmd.slice(1), description: what }));

/** The commands a platform should advertise in private chats, with their one-line descriptions. */
export const COMMAND_LIST = listed([...copy.help.extra, ...copy.help.commands]);

/** The commands a platform should advertise in groups and server channels. */
export const GROUP_COMMAND_LIST = listed(copy.help.group);

export { CHAT_INFO_COMMANDS } from './channels.ts';

/**
 * The platform-free conversation engine. Adapters hand it Inbound updates and render the
 * Outbound replies; everything for anyone else goes through the outbox.
 */
export class Engine {
  constructor(readonly deps: EngineDeps) {}

  /** Applies one inbound update exactly once and returns the replies to its actor. */
  handle(inbound: Inbound): Outbound[] {
    return (
      this.#unit((w) => {
        if (!w.repo.recordInbound(`${inbound.actor.platform}:${inbound.dedupeKey}`, w.now)) {
          this.deps.log.debug('inbound-duplicate', { kind: inbound.kind });
          return [];
        }
        // Only the kind and a known command name: never text, never an unknown command's name.
        const name = inbound.kind === 'command' ? inbound.name.toLowerCase() : undefined;
        const known =
          name !== undefined && (Object.hasOwn(COMMANDS, name) || Object.hasOwn(GROUP_COMMANDS, name));
        this.deps.log.debug('inbound', { kind: inbound.kind, command: name && (known ? name : 'unknown') });
        return route(w, inbound);
      }) ?? [errorReply(inbound.chat)]
    );
  }

  /**
   * Opens a couple's round for a scheduled occurrence; idempotent per occurrence key. Refuses
   * (null) for an ended or paused couple, and for an occurrence whose window has already passed
   * (the bot was down): a stale prompt is never sent.
   */
  openRound(
    coupleId: number,
    occurrenceKey: string,
    occurredAt: number,
  ): { roundId: number; created: boolean } | null {
    return (
      this.#unit((w) => {
        const couple = w.repo.couple(coupleId);
        if (couple?.status !== 'active' || isPaused(couple, w.now)) return null;
        if (occurredAt + couple.windowMinutes * 60_000 <= w.now) return null;
        const open = w.repo.openRoundOf(couple.id);
        if (open) return { roundId: open.id, created: false };
        const { round, created } = checkin.openRound(w, couple, occurrenceKey, null, occurredAt);
        return { roundId: round.id, created };
      }) ?? null
    );
  }

  /** The round's one reminder, to whoever has not sent yet; returns how many were queued. */
  remind(roundId: number): number {
    return this.#unit((w) => checkin.remind(w, roundId)) ?? 0;
  }

  /** The deadline of a round (the scheduler calls it); a no-op for rounds no longer open. */
  closeRound(roundId: number): boolean {
    return this.#unit((w) => checkin.closeRound(w, roundId)) ?? false;
  }

  /** The platform says the bot can no longer post in a channel: its link ends and the couple is told. */
  channelUnreachable(channelId: number): boolean {
    return this.#unit((w) => channels.channelUnreachable(w, channelId)) ?? false;
  }

  /** The platform moved a channel to a new chat id (a Telegram supergroup upgrade); false if it cannot follow. */
  channelMoved(channelId: number, chatId: string): boolean {
    return this.#unit((w) => channels.channelMoved(w, channelId, chatId)) ?? false;
  }

  /** Renders an outbox row for sending now, or says why it should not be sent. */
  renderOutbox(id: number): Rendered {
    const w = this.#work();
    const row = w.repo.outboxRow(id);
    if (!row) return { cancel: 'no-row' };
    return renderOutbox(w, row);
  }

  /** Outbox rows waiting to be sent, oldest first. */
  pendingOutbox(limit?: number): OutboxRow[] {
    return this.deps.repo.pendingOutbox(limit);
  }

  /** An adapter reports the platform id of a message it sent in a check-in, for /clear. */
  noteSent(to: ChatRef, messageId: string, roundId: number): void {
    if (to.kind !== 'private') return;
    const member = this.deps.repo.memberByPlatform(to.platform, to.chatId);
    if (member) this.deps.repo.noteSent(member.id, roundId, to.chatId, messageId, this.deps.clock());
  }

  #work(): Work {
    return {
      deps: this.deps,
      repo: this.deps.repo,
      now: this.deps.clock(),
      queued: [],
      after: [],
      changed: new Set(),
      opened: [],
    };
  }

  // One transaction per unit of work. A thrown error rolls everything back (the inbound key
  // included, so a redelivery retries) and reaches nobody: it is logged by kind only.
  #unit<T>(fn: (w: Work) => T): T | undefined {
    const w = this.#work();
    let result: T;
    try {
      result = this.deps.repo.transaction(() => fn(w));
    } catch (error) {
      this.deps.log.error('unit-failed', errorFields(error));
      return undefined;
    }
    if (w.crash) this.deps.crashPoint?.(w.crash);
    // The transaction is committed: what follows is housekeeping and a cue to the relay, and
    // its failure must not turn a saved answer into an error reply.
    try {
      for (const hook of w.after) hook();
      if (w.queued.length > 0) this.deps.onOutbox?.(w.queued);
      if (w.changed.size > 0) this.deps.onCoupleChange?.([...w.changed]);
      if (w.opened.length > 0) this.deps.onRoundOpened?.(w.opened);
    } catch (error) {
      this.deps.log.warn('after-commit-failed', errorFields(error));
    }
    return result;
  }
}

function errorReply(chat: ChatRef): OutboundMessage {
  return { type: 'message', to: chat, kind: 'reply', paragraphs: [para(copy.somethingWrong)], private: true };
}

function plain(chat: ChatRef, ...lines: string[]): OutboundMessage[] {
  return [{ type: 'message', to: chat, kind: 'reply', paragraphs: lines.map((l) => para(l)), private: true }];
}

function route(w: Work, inbound: Inbound): Outbound[] {
  const { actor, chat } = inbound;
  if (chat.kind === 'group') {
    // Check-ins are private: chatter, stray buttons and unknown commands (perhaps for another
    // bot) get nothing; check-in commands get a pointer to the private chat.
    if (inbound.kind !== 'command') return [];
    const name = inbound.name.toLowerCase();
    if (Object.hasOwn(GROUP_COMMANDS, name)) return GROUP_COMMANDS[name]!(w, inbound);
    return Object.hasOwn(COMMANDS, name) ? plain(chat, copy.groupPointer) : [];
  }
  let member = w.repo.memberByPlatform(actor.platform, actor.userId);
  if (!member) {
    if (inbound.kind === 'command' && (inbound.name === 'start' || inbound.name === 'join')) {
      member = w.repo.createMember(
        actor.platform,
        actor.userId,
        cleanName(actor.displayName),
        actor.locale ?? null,
        w.now,
      );
      w.repo.audit('member-created', w.now, { memberId: member.id });
    } else if (inbound.kind === 'command' && inbound.name === 'support') {
      return plain(
        chat,
        ...copy.support.resources(resourcesFor(w.deps.resources, null)),
        copy.support.notShared,
      );
    } else if (inbound.kind === 'command' && (inbound.name === 'privacy' || inbound.name === 'help')) {
      return plain(chat, ...copy.privacy, copy.startFirst);
    } else {
      return plain(chat, copy.startFirst);
    }
  }
  if (member.unreachableAt !== null) member = w.repo.updateMember(member.id, { unreachableAt: null });
  // The same object as w, so whatever the flow records (crash point, queued rows) reaches the unit.
  const ctx: Ctx = Object.assign(w, { member, chat, out: [] as Outbound[] });
  if (inbound.kind === 'choice' && inbound.messageId) ctx.origin = inbound.messageId;

  switch (inbound.kind) {
    case 'command':
      command(ctx, inbound.name.toLowerCase(), inbound.args);
      break;
    case 'text':
      text(ctx, inbound.text);
      break;
    case 'choice':
    case 'form':
      choice(ctx, inbound.token, inbound.kind === 'form' ? inbound.text : null);
      break;
  }
  return ctx.out;
}

function command(ctx: Ctx, name: string, args: string): void {
  // /join during onboarding just remembers the code, like a deep link.
  const step = onboarding.onboardingStep(ctx);
  if (step && name === 'join') return onboarding.start(ctx, args);
  if (step && !BEFORE_ONBOARDING.has(name)) {
    sayText(ctx, copy.onboarding.finishFirst);
    return onboarding.showOnboardingStep(ctx, step);
  }
  if (!Object.hasOwn(COMMANDS, name)) return sayText(ctx, copy.unknownCommand);
  COMMANDS[name]!(ctx, args);
}

function text(ctx: Ctx, body: string): void {
  // Crisis wording gets resources first, wherever it is typed and whatever happens to the text
  // next (an answer, a time zone, a stray message, one too long to keep).
  if (mentionsCrisis(body)) {
    say(ctx, [...resourceParagraphs(ctx, ctx.member), para(copy.checkin.stillHere)], { kind: 'resources' });
  }
  if (onboarding.onboardingStep(ctx)) return onboarding.onboardingText(ctx, body);
  const conv = ctx.repo.conversation(ctx.member);
  if (conv?.step === 'checkin:question' && conv.roundId !== null && conv.questionId !== null) {
    return checkin.answerText(ctx, conv.roundId, conv.questionId, body);
  }
  if (conv && conv.step !== 'checkin:question') return sayText(ctx, copy.useButtons);
  sayText(ctx, copy.nothingAsked);
}

function choice(ctx: Ctx, token: string, formText: string | null): void {
  if (formText !== null && mentionsCrisis(formText)) {
    say(ctx, [...resourceParagraphs(ctx, ctx.member), para(copy.checkin.stillHere)], { kind: 'resources' });
  }
  const verified = ctx.deps.tokens.verify(ctx.member.id, token);
  if (!verified) return say(ctx, [para(copy.checkin.closed)], { replace: true });
  const { action, args } = verified;
  const step = onboarding.onboardingStep(ctx);
  if (step && !ONBOARDING_ACTIONS.has(action)) {
    sayText(ctx, copy.onboarding.finishFirst);
    return onboarding.showOnboardingStep(ctx, step);
  }
  const id = Number(args[0]);
  const q = args[1] ?? '';
  const yes = args[0] === 'y';
  switch (action) {
    case 'role':
    case 'zone':
    case 'safe':
      if (onboarding.onboardingChoice(ctx, action, args[0] ?? '')) return;
      // Set-up is done (or moved on): an old set-up button changes nothing.
      if (!step) return say(ctx, [para(copy.checkin.staleGeneric)], { replace: true });
      sayText(ctx, copy.checkin.staleButton);
      return onboarding.showOnboardingStep(ctx, step);
    case 'zonetext':
      if (formText !== null && step) return onboarding.onboardingText(ctx, formText);
      return sayText(ctx, copy.checkin.staleGeneric);
    case 'join':
      return onboarding.joinChoice(ctx, yes);
    case 'start': {
      const round = ctx.repo.round(id);
      return round ? checkin.resume(ctx, round) : say(ctx, [para(copy.checkin.closed)], { replace: true });
    }
    case 'ans':
      return checkin.answerChoice(ctx, id, q, args[2] ?? '');
    case 'txt':
      return formText === null ? checkin.continueRound(ctx, id) : checkin.answerText(ctx, id, q, formText);
    case 'skip':
      return checkin.skip(ctx, id, q);
    case 'help':
      return checkin.support(ctx, Number.isInteger(id) ? id : null);
    case 'cont':
      return checkin.continueRound(ctx, id);
    case 'open':
      return checkin.openAnswer(ctx, id, q);
    case 'share':
      return checkin.share(ctx, id, q, false);
    case 'share2':
      return checkin.share(ctx, id, q, true);
    case 'priv':
      return checkin.keepPrivate(ctx, id, q);
    case 'edit':
      return checkin.editAnswer(ctx, id, q);
    case 'back':
      return checkin.backToReview(ctx, id);
    case 'send':
      return checkin.submit(ctx, id);
    case 'rel':
      return checkin.release(ctx, id, args[1] === 'y');
    case 'unpair':
    case 'delete':
      return settings.confirmed(ctx, action, yes);
    case 'tpl':
      return settings.chooseTemplate(ctx, args[0] ?? '');
    case 'consent':
      return channels.consentChoice(ctx, id, args[1] ?? '');
    default:
      return say(ctx, [para(copy.checkin.closed)], { replace: true });
  }
}
