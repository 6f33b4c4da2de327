import { existsSync, readFileSync } from 'node:fs';
import { copy } from '../../src/checkin/copy.ts';
import { mentionsCrisis } from '../../src/checkin/crisis.ts';
import { findQuestion } from '../../src/checkin/templates.ts';
import type { AnswerRecord, RoundView } from '../../src/checkin/types.ts';
import { canSee } from '../../src/checkin/visibility.ts';
import {
  type GroupReceived,
  plainText,
  type Received,
  type SimPerson,
  type Simulation,
} from '../../src/demo/simulation.ts';
import type { Button, OutboundMessage } from '../../src/engine/types.ts';

// Privacy as invariants (DESIGN.md, "Testing"): a monitor that watches a Simulation and, after
// every step, checks everything anyone received, every new log line and every outbox row
// against the visibility function and against an independent model of what each person chose
// (which answers they explicitly shared, which crisis texts they confirmed, which rounds they
// released, which check-ins they sent). Answers carry canary strings, so a leak is caught even
// when the engine forgot to tag a segment with the answer's id.

/** A canary: unique, plain ASCII, easy to spot in any text or byte string. */
export const CANARY = /CANARY-\d+-[A-Z]\b/g;

export class PrivacyViolation extends Error {
  override name = 'PrivacyViolation';
}

/** The action and arguments of a button token (the test peeks; adapters treat tokens as opaque). */
export function tokenAction(token: string): { action: string; args: string[] } {
  const cut = token.lastIndexOf('~');
  const [action, ...args] = (cut > 0 ? token.slice(0, cut) : token).split('.');
  return { action: action ?? '', args };
}

/** Every piece of text a recipient can see in a message: segments, buttons, form label, attachment. */
export function visibleTexts(m: OutboundMessage): string[] {
  const out: string[] = [];
  for (const p of m.paragraphs) for (const s of p) out.push(s.text);
  for (const row of m.buttons ?? []) for (const b of row) out.push(b.label);
  if (m.expectsText) out.push(m.expectsText.label);
  if (m.attachment) out.push(m.attachment.filename, m.attachment.data);
  return out;
}

/** The answer ids a message claims to show. */
export function answerIdsOf(m: OutboundMessage): number[] {
  return m.paragraphs.flatMap((p) => p.flatMap((s) => s.answerIds ?? []));
}

/** The canaries in a piece of text. */
export function canariesIn(text: string): string[] {
  return [...text.matchAll(CANARY)].map((x) => x[0]);
}

const PLAIN_TEXTS: ((c: string) => string)[] = [
  (c) => `Our Sunday walks, ${c}.`,
  (c) => `<b>${c}</b> I told you about Thursday & it mattered`,
  (c) => `**${c}** and _really_ <i>proud</i> of us`,
  (c) => `${c}\nA second line with <a href="https://x.test/?a=1&b=2">a link</a> and \`code\``,
  (c) => `Grateful for coffee ☕ with you ${c} </b><script>alert(1)</script>`,
];
const CRISIS_TEXTS: ((c: string) => string)[] = [
  (c) => `${c} Some days I want to die.`,
  (c) => `I keep thinking about suicide. ${c}`,
  (c) => `<b>${c}</b> honestly you'd be better off without me`,
  (c) => `**I don't want to live like this** ${c}`,
];
export const TEXT_VARIANTS = Math.max(PLAIN_TEXTS.length, CRISIS_TEXTS.length);

/** What the model knows about one canary. */
export interface CanaryInfo {
  canary: string;
  /** The person who typed it and the member they were at that moment (null: not a member). */
  person: SimPerson;
  author: number | null;
  text: string;
  /** Written with crisis wording on purpose. */
  crisis: boolean;
  /** The answer it was stored as, if it was stored at all. */
  answerId: number | null;
}

type Found = { view: RoundView; answer: AnswerRecord };

/** Watches one Simulation; call `step()` before and `check()` after every action. */
export class PrivacyMonitor {
  readonly steps: string[] = [];
  readonly canaries = new Map<string, CanaryInfo>();
  /** Strings that must never appear in logs, outbox rows or the database file. */
  readonly secrets = new Set<string>();
  /** `${member}:${round}:${question}`: the author pressed [Share it] on that answer. */
  readonly explicitlyShared = new Set<string>();
  /** Canaries of crisis texts their author confirmed with [Yes, share it]. */
  readonly crisisConfirmed = new Set<string>();
  /** What each [Yes, share it] button was shown about: the canaries of the answer at that moment. */
  readonly #confirmScreens = new Map<string, string[]>();
  /** `${round}:${member}`: the member released their answers after a one-sided close. */
  readonly released = new Set<string>();
  /** `${round}:${member}`: the member pressed [Send my check-in] for the round. */
  readonly sent = new Set<string>();
  /**
   * The model of therapist-channel consent: per channel, each member's [I agree] press (its
   * scope and moment), counted only while the channel awaited that couple's consent, and
   * forgotten when either partner sends /revoke or the pairing ends.
   */
  readonly consents = new Map<number, Map<number, { scope: 'scores' | 'words'; at: number }>>();
  /** Names and words that must never reach a channel (display names, codes). */
  readonly notForChannels = new Set<string>();
  #delivered = 0;
  #groupDelivered = 0;
  #logs = 0;
  #counter = 0;

  constructor(readonly sim: Simulation) {}

  /** Notes a step for the failure report. */
  step(description: string): void {
    this.steps.push(description);
  }

  memberOf(p: SimPerson): number | null {
    return this.sim.repo.memberByPlatform(p.actor.platform, p.actor.userId)?.id ?? null;
  }

  /** A fresh answer text with a canary in it, registered as typed by `p`. */
  canaryText(p: SimPerson, variant: number, crisis: boolean): CanaryInfo {
    const canary = `CANARY-${++this.#counter}-${p.name.slice(0, 1).toUpperCase()}`;
    const list = crisis ? CRISIS_TEXTS : PLAIN_TEXTS;
    const text = list[variant % list.length]!(canary);
    // A check of the test itself: the model's idea of "crisis wording" must be the real one.
    if (mentionsCrisis(text) !== crisis) throw new Error(`test generator: crisis=${crisis} for ${text}`);
    const info: CanaryInfo = { canary, person: p, author: this.memberOf(p), text, crisis, answerId: null };
    this.canaries.set(canary, info);
    this.secrets.add(canary);
    this.secrets.add(text);
    return info;
  }

  /**
   * Types text with canaries in it (examples pick their own canaries); `crisis` says whether it
   * was written with crisis wording.
   */
  say(p: SimPerson, text: string, crisis = false): void {
    if (mentionsCrisis(text) !== crisis) throw new Error(`test: crisis=${crisis} for ${text}`);
    const infos = canariesIn(text).map((canary) => {
      const info: CanaryInfo = { canary, person: p, author: this.memberOf(p), text, crisis, answerId: null };
      this.canaries.set(canary, info);
      this.secrets.add(canary);
      return info;
    });
    this.secrets.add(text);
    p.say(text);
    for (const info of infos) this.locate(info);
  }

  /** After the step that typed it: which answer (if any) now holds the canary. */
  locate(info: CanaryInfo): void {
    if (info.author === null) return;
    const ids = (
      this.sim.store.sqlite
        .prepare('select distinct round_id from answers where member_id = ? and value is not null')
        .all(info.author) as { round_id: number }[]
    ).map((r) => r.round_id);
    for (const view of this.sim.repo.roundViews(ids)) {
      const a = view.answers.find((x) => x.memberId === info.author && x.value?.includes(info.canary));
      if (a) {
        info.answerId = a.id;
        if (a.crisis !== info.crisis) {
          this.#fail(
            `answer #${a.id} (${info.canary}) has crisis=${a.crisis}, but its wording says ${info.crisis}`,
          );
        }
        return;
      }
    }
  }

  /** Records what a button press means to the model, before it is handed to the engine. */
  notePress(p: SimPerson, b: Button): void {
    const member = this.memberOf(p);
    if (member === null) return;
    const { action, args } = tokenAction(b.token);
    const round = Number(args[0]);
    if (action === 'share') this.explicitlyShared.add(`${member}:${round}:${args[1]}`);
    if (action === 'rel' && args[1] === 'y') this.released.add(`${round}:${member}`);
    if (action === 'send') this.sent.add(`${round}:${member}`);
    if (action === 'consent' && (args[1] === 's' || args[1] === 'w')) {
      const channel = this.sim.repo.channel(round);
      const couple = this.sim.repo.activeCoupleOf(member);
      const perChannel = this.consents.get(round) ?? new Map();
      if (
        channel?.status === 'awaiting-consent' &&
        channel.coupleId === couple?.id &&
        !perChannel.has(member)
      ) {
        perChannel.set(member, { scope: args[1] === 's' ? 'scores' : 'words', at: this.sim.now });
        this.consents.set(round, perChannel);
      }
    }
    // The confirmation counts for the text that was current when its screen was shown.
    if (action === 'share2')
      for (const c of this.#confirmScreens.get(b.token) ?? []) this.crisisConfirmed.add(c);
  }

  /** Records what a command means to the model, before it is handed to the engine. */
  noteCommand(p: SimPerson, text: string): void {
    const member = this.memberOf(p);
    if (member === null || !/^\/revoke\b/i.test(text.trim())) return;
    const couple = this.sim.repo.activeCoupleOf(member);
    if (couple?.kind === 'pair') this.#forgetConsents([couple.memberA, couple.memberB]);
  }

  #forgetConsents(members: (number | null)[]): void {
    for (const perChannel of this.consents.values())
      for (const m of members) if (m !== null) perChannel.delete(m);
  }

  /** Presses a button the person sees (the newest with that label when it is that one). */
  press(p: SimPerson, b: Button): void {
    this.notePress(p, b);
    if (p.findButton(b.label)?.token === b.token) p.press(b.label);
    else p.pressToken(b.token);
  }

  /** All invariants over everything that happened since the last check. */
  check(): void {
    const fresh = this.sim.delivered.slice(this.#delivered);
    this.#delivered = this.sim.delivered.length;
    for (const r of fresh) {
      this.#checkMessage(r);
      this.#noteConfirmScreens(r);
    }

    // A pairing that ended (unpair, delete) takes every consent of its members with it.
    for (const perChannel of this.consents.values()) {
      for (const m of [...perChannel.keys()]) {
        if (this.sim.repo.activeCoupleOf(m)?.kind !== 'pair')
          this.#forgetConsents([m, ...this.#partnersOf(m)]);
      }
    }
    const posted = this.sim.groupDelivered.slice(this.#groupDelivered);
    this.#groupDelivered = this.sim.groupDelivered.length;
    for (const r of posted) this.#checkChannelMessage(r);

    const lines = this.sim.logLines.slice(this.#logs);
    this.#logs = this.sim.logLines.length;
    for (const line of lines) {
      if (line.includes('"unit-failed"')) this.#fail(`the engine failed a unit of work: ${line}`);
      for (const s of this.secrets) if (line.includes(s)) this.#fail(`a log line holds typed text: ${line}`);
    }

    const rows = this.sim.store.sqlite.prepare('select * from outbox').all();
    for (const row of rows) {
      const text = JSON.stringify(row);
      for (const s of this.secrets)
        if (text.includes(s)) this.#fail(`an outbox row holds typed text: ${text}`);
    }
  }

  /** The database file and its WAL hold no typed text in clear (answers are sealed). */
  checkFiles(): void {
    const f = this.sim.store.file;
    for (const file of [f, `${f}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      for (const s of this.secrets) {
        if (bytes.includes(s))
          this.#fail(`${file.endsWith('-wal') ? 'the WAL' : 'the database'} holds "${s}" in clear`);
      }
    }
  }

  #noteConfirmScreens(r: Received): void {
    const member = this.memberOf(r.to);
    for (const b of r.message.buttons?.flat() ?? []) {
      const { action, args } = tokenAction(b.token);
      if (action !== 'share2' || member === null) continue;
      const a = this.sim.repo
        .roundView(Number(args[0]))
        ?.answers.find((x) => x.memberId === member && x.questionId === args[1]);
      this.#confirmScreens.set(b.token, canariesIn(a?.value ?? ''));
    }
  }

  #checkMessage(r: Received): void {
    const recipient = this.memberOf(r.to);
    const views = new Map<number, RoundView | undefined>();
    const find = (answerId: number): Found | null => {
      const row = this.sim.store.sqlite.prepare('select round_id from answers where id = ?').get(answerId) as
        | { round_id: number }
        | undefined;
      if (!row) return null;
      if (!views.has(row.round_id)) views.set(row.round_id, this.sim.repo.roundView(row.round_id));
      const view = views.get(row.round_id);
      const answer = view?.answers.find((a) => a.id === answerId);
      return view && answer ? { view, answer } : null;
    };

    // 1. Every answer a segment says it shows is one the recipient may see.
    for (const id of answerIdsOf(r.message)) {
      const found = find(id);
      if (!found) this.#fail(`it shows answer #${id}, which no longer exists`, r);
      else this.#mayShow(r, recipient, found, `answer #${id}`);
    }

    // 2. Canaries, whatever the segment says: another person's words only when visible now.
    for (const c of new Set(visibleTexts(r.message).flatMap(canariesIn))) {
      const info = this.canaries.get(c);
      if (!info) this.#fail(`it holds ${c}, which nobody typed`, r);
      if (info.author !== null && info.author === recipient) continue;
      if (info.author === null && info.person === r.to) continue;
      if (info.answerId === null) {
        this.#fail(`it holds ${c}, typed by ${info.person.name}, which was never stored as an answer`, r);
      }
      const found = find(info.answerId);
      if (!found?.answer.value?.includes(c)) {
        this.#fail(`it holds ${c}, which is no longer the current text of its answer`, r);
      }
      this.#mayShow(r, recipient, found, `${c} (answer #${info.answerId})`);
      // 3. Crisis wording needs its author's second confirmation.
      if (info.crisis && !this.crisisConfirmed.has(c)) {
        this.#fail(`it holds crisis text ${c} that its author never confirmed with [Yes, share it]`, r);
      }
    }

    // Proactive messages open neutrally, so a lock-screen preview shows nothing.
    if (r.via === 'outbox') {
      const first = (r.message.paragraphs[0] ?? []).map((s) => s.text).join('');
      if (first !== copy.ready && first !== copy.update) {
        this.#fail(`a proactive message opens with "${first}" instead of a neutral line`, r);
      }
    }
  }

  #mayShow(r: Received, recipient: number | null, { view, answer }: Found, what: string): void {
    if (recipient === null) this.#fail(`${what} went to someone who is not a member`, r);
    if (!canSee(view, answer, { kind: 'member', memberId: recipient })) {
      this.#fail(`${what} is not visible to member #${recipient} (${describe(view, answer)})`, r);
    }
    if (answer.memberId === recipient) return;
    // 3. Safety scores only after [Share it]; crisis text only after [Yes, share it].
    if (
      answer.questionId === 'safety' &&
      !this.explicitlyShared.has(`${answer.memberId}:${view.id}:safety`)
    ) {
      this.#fail(`${what} is a safety answer its author never shared at review`, r);
    }
    if (answer.crisis && canariesIn(answer.value ?? '').some((c) => !this.crisisConfirmed.has(c))) {
      this.#fail(`${what} is crisis-flagged and its author never confirmed sharing it`, r);
    }
    // 5. A partner's answer needs a two-sided reveal (both sent) or its author's release.
    if (view.status === 'revealed') {
      const unsent = view.participants.filter((p) => !this.sent.has(`${view.id}:${p.memberId}`));
      if (view.participants.length !== 2 || unsent.length > 0) {
        this.#fail(`${what} comes from round #${view.id}, revealed though not both pressed [Send]`, r);
      }
    } else if (!this.released.has(`${view.id}:${answer.memberId}`)) {
      this.#fail(`${what} comes from round #${view.id} (${view.status}) that its author never released`, r);
    }
  }

  #partnersOf(member: number): number[] {
    const rows = this.sim.store.sqlite
      .prepare(
        "select member_a a, member_b b from couples where kind = 'pair' and (member_a = ? or member_b = ?)",
      )
      .all(member, member) as { a: number | null; b: number | null }[];
    return rows.flatMap((r) => [r.a, r.b]).filter((m): m is number => m !== null && m !== member);
  }

  /**
   * What a therapist channel received: only answers that were shared, from two-sided reveals of
   * rounds opened after both partners pressed [I agree] (and had not revoked since), within the
   * narrower scope; a safety score only after [Share it], crisis text only after [Yes, share it];
   * never a name or a code.
   */
  #checkChannelMessage(r: GroupReceived): void {
    const channel = this.sim.repo.channelByChat(r.to.chat.platform, r.to.chat.chatId);
    const consents = channel ? this.consents.get(channel.id) : undefined;
    const where = `group "${r.to.title}"`;
    const shown = new Map<number, string>();
    for (const id of answerIdsOf(r.message)) shown.set(id, `answer #${id}`);
    for (const c of new Set(visibleTexts(r.message).flatMap(canariesIn))) {
      const info = this.canaries.get(c);
      if (info?.answerId == null) this.#failGroup(`it holds ${c}, which was never stored as an answer`, r);
      shown.set(info.answerId, `${c} (answer #${info.answerId})`);
      if (info.crisis && !this.crisisConfirmed.has(c))
        this.#failGroup(`it holds crisis text ${c} that its author never confirmed`, r);
    }
    for (const text of visibleTexts(r.message)) {
      for (const secret of this.notForChannels)
        if (text.includes(secret)) this.#failGroup(`${where} was shown "${secret}"`, r);
    }
    for (const [id, what] of shown) {
      const row = this.sim.store.sqlite.prepare('select round_id from answers where id = ?').get(id) as
        | { round_id: number }
        | undefined;
      const view = row && this.sim.repo.roundView(row.round_id);
      const answer = view?.answers.find((a) => a.id === id);
      if (!view || !answer) return this.#failGroup(`${what} no longer exists`, r);
      if (!answer.shared || answer.value === null) this.#failGroup(`${what} was not shared by its author`, r);
      const unsent = view.participants.filter((p) => !this.sent.has(`${view.id}:${p.memberId}`));
      if (view.status !== 'revealed' || view.participants.length !== 2 || unsent.length > 0)
        this.#failGroup(`${what} comes from round #${view.id} (${view.status}), not a two-sided reveal`, r);
      const agreed = view.participants.map((p) => consents?.get(p.memberId));
      if (agreed.some((c) => c === undefined || c.at >= view.openedAt))
        this.#failGroup(`${what} comes from round #${view.id}, not opened after both partners agreed`, r);
      const scale = findQuestion(view.template, answer.questionId)?.kind === 'scale';
      if (agreed.some((c) => c?.scope === 'scores') && !scale)
        this.#failGroup(`${what} is words, and a partner agreed to scores only`, r);
      if (
        answer.questionId === 'safety' &&
        !this.explicitlyShared.has(`${answer.memberId}:${view.id}:safety`)
      )
        this.#failGroup(`${what} is a safety answer its author never shared at review`, r);
    }
  }

  #failGroup(reason: string, r: GroupReceived): never {
    return this.#fail(
      `${reason}\n\nMessage to group "${r.to.title}", ${r.via === 'outbox' ? `outbox #${r.outboxId}` : 'as a reply'}:\n${indent(plainText(r.message))}`,
    );
  }

  /** Fails with the step list (for an exception the engine threw, say). */
  fail(reason: string): never {
    return this.#fail(reason);
  }

  #fail(reason: string, r?: Received): never {
    const lines = [`Privacy violation: ${reason}`];
    if (r) {
      const who = `${r.to.name} (member #${this.memberOf(r.to) ?? '-'})`;
      lines.push(
        '',
        `Message to ${who}, ${r.via === 'outbox' ? `outbox #${r.outboxId}` : 'as a reply'}:`,
        indent(plainText(r.message)),
      );
      const ids = answerIdsOf(r.message);
      if (ids.length) lines.push(`  (answerIds: ${ids.join(', ')})`);
      if (r.message.attachment) lines.push(indent(r.message.attachment.data));
    }
    lines.push('', 'Steps:', ...this.steps.map((s, i) => `  ${String(i + 1).padStart(3)}. ${s}`));
    throw new PrivacyViolation(lines.join('\n'));
  }
}

function describe(view: RoundView, a: AnswerRecord): string {
  const parts = view.participants
    .map(
      (p) =>
        `#${p.memberId} ${p.submittedAt === null ? 'not sent' : 'sent'}${p.release ? `, ${p.release}` : ''}`,
    )
    .join('; ');
  return `round #${view.id} ${view.status} [${parts}], answer by #${a.memberId} to ${a.questionId}, shared=${a.shared}, crisis=${a.crisis}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

// ---- building worlds --------------------------------------------------------------------------

/** Onboards a person: /start (with an invite code, if any), a role, a typed zone, "Yes". */
export function onboard(p: SimPerson, role: string, code = ''): void {
  p.say(`/start ${code}`.trim());
  p.press(role);
  p.say('America/Chicago');
  p.press(copy.onboarding.safetyOptions.yes);
}

/** Pairs two onboarded people: `a` runs /pair, `b` joins with the code and presses [Join]. */
export function pair(a: SimPerson, b: SimPerson): string {
  a.say('/pair');
  const code = /\/join (\S+)/.exec(a.last())?.[1];
  if (!code) throw new Error(`no invite code in: ${a.last()}`);
  b.say(`/join ${code}`);
  if (b.findButton(copy.pairing.joinButton)) b.press(copy.pairing.joinButton);
  return code;
}

/** The couple's fixed opening: A onboards and invites; B joins with the code, onboards, joins. */
export function onboardCouple(
  sim: Simulation,
  roles: { a: string; b: string } = {
    a: copy.onboarding.roles.recovery,
    b: copy.onboarding.roles.partner,
  },
): { a: SimPerson; b: SimPerson; code: string } {
  const a = sim.person('Avery Quillfeather', 'telegram');
  const b = sim.person('Blake Thornwood', 'discord');
  onboard(a, roles.a);
  a.say('/pair');
  const code = /\/join (\S+)/.exec(a.last())?.[1];
  if (!code) throw new Error(`no invite code in: ${a.last()}`);
  b.say(`/join ${code}`);
  b.press(roles.b);
  b.say('America/Chicago');
  b.press(copy.onboarding.safetyOptions.yes);
  b.press(copy.pairing.joinButton);
  sim.deliverOutbox();
  return { a, b, code };
}
