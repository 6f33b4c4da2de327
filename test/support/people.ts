import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import type { Role } from '../../src/checkin/types.ts';
import { plainText, type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import type { Inbound, Outbound, OutboundMessage, Segment } from '../../src/engine/types.ts';
import type { MemberRow } from '../../src/store/repo.ts';

// Small helpers for driving whole conversations through the Simulation in tests.

export interface OnboardOptions {
  role?: Role;
  /** Typed as a time zone name. */
  zone?: string;
  safe?: keyof typeof copy.onboarding.safetyOptions;
  /** An invite code, as a deep link would pass it to /start. */
  code?: string;
}

/** Runs /start to the end of onboarding; returns the replies to the last step. */
export function onboard(p: SimPerson, o: OnboardOptions = {}): OutboundMessage[] {
  p.say(o.code ? `/start ${o.code}` : '/start');
  p.press(copy.onboarding.roles[o.role ?? 'recovery']);
  p.say(o.zone ?? 'America/Chicago');
  return p.press(copy.onboarding.safetyOptions[o.safe ?? 'yes']);
}

/** Sends /pair and returns the one-time code from the reply. */
export function inviteCode(p: SimPerson): string {
  p.say('/pair');
  const m = /\/join (\S+)/.exec(p.last());
  if (!m) throw new Error(`${p.name} got no invite code`);
  return m[1]!;
}

/** The member row of a simulated person. */
export function memberOf(sim: Simulation, p: SimPerson): MemberRow {
  const m = sim.repo.memberByPlatform(p.actor.platform, p.actor.userId);
  if (!m) throw new Error(`${p.name} is not a member`);
  return m;
}

export interface Couple {
  /** In recovery; sent the invite. */
  a: SimPerson;
  /** The partner; joined with the code. */
  b: SimPerson;
  coupleId: number;
}

/** Two people onboarded and paired (A in recovery invites B, the partner); outbox delivered. */
export function pairCouple(sim: Simulation, names: [string, string] = ['Alex', 'Sam']): Couple {
  const a = sim.person(names[0]);
  const b = sim.person(names[1], 'discord');
  onboard(a, { role: 'recovery' });
  const code = inviteCode(a);
  onboard(b, { role: 'partner', code });
  b.press(copy.pairing.joinButton);
  sim.deliverOutbox();
  const couple = sim.repo.activeCoupleOf(memberOf(sim, a).id);
  if (couple?.kind !== 'pair') throw new Error('pairing failed');
  return { a, b, coupleId: couple.id };
}

/** One answer: a number taps that scale button, a string is typed, null taps Skip. */
export type Answer = number | string | null;

/** Answers questions in order; returns the replies to the last one. */
export function answerAll(p: SimPerson, answers: Answer[]): OutboundMessage[] {
  let last: OutboundMessage[] = [];
  for (const a of answers) {
    if (a === null) last = p.press(copy.checkin.skip);
    else if (typeof a === 'number') last = p.press(String(a));
    else last = p.say(a);
  }
  return last;
}

/** The open round of a couple. */
export function openRoundId(sim: Simulation, coupleId: number): number {
  const r = sim.repo.openRoundOf(coupleId);
  if (!r) throw new Error('no open round');
  return r.id;
}

/** Replies as plain text, joined. */
export function textOf(messages: OutboundMessage[]): string {
  return messages.map(plainText).join('\n\n');
}

/** The plain text of each paragraph of a message. */
export function paragraphsOf(m: OutboundMessage): string[] {
  return m.paragraphs.map((p) => p.map((s) => s.text).join(''));
}

/** Every button label of a list of messages. */
export function labelsOf(messages: OutboundMessage[]): string[] {
  return messages.flatMap((m) => (m.buttons ?? []).flat().map((b) => b.label));
}

/** Every segment of a message. */
export function segmentsOf(m: OutboundMessage): Segment[] {
  return m.paragraphs.flat();
}

/** The text of the paragraph (a heading block) whose first segment is `heading`, or undefined. */
export function section(m: OutboundMessage, heading: string): string | undefined {
  const p = m.paragraphs.find((x) => x[0]?.text === heading);
  return p?.map((s) => s.text).join('');
}

/**
 * Records everything people type (texts, forms, command arguments) so a test can check none of
 * it reaches a log line. Returns the list it fills.
 */
export function recordTyped(sim: Simulation): string[] {
  const typed: string[] = [];
  const send = sim.send.bind(sim);
  sim.send = (from: SimPerson, inbound: Inbound) => {
    noteTyped(typed, inbound);
    return send(from, inbound);
  };
  return typed;
}

/** Hands an inbound straight to the engine (keeping deletes, which the Simulation drops). */
export function handleRaw(sim: Simulation, typed: string[], inbound: Inbound): Outbound[] {
  noteTyped(typed, inbound);
  return sim.engine.handle(inbound);
}

function noteTyped(typed: string[], inbound: Inbound): void {
  if (inbound.kind === 'text' || inbound.kind === 'form') typed.push(inbound.text);
  if (inbound.kind === 'command' && inbound.args) typed.push(inbound.args);
}

/** Problems a finished test must not leave: an error reply anywhere, typed text in a log line. */
export function hygieneProblems(sim: Simulation, typed: string[]): string[] {
  const problems: string[] = [];
  for (const r of sim.delivered) {
    if (plainText(r.message).includes(copy.somethingWrong)) problems.push(`error reply to ${r.to.name}`);
  }
  const logs = sim.logLines.join('\n');
  for (const t of typed) {
    // Short inputs ("7", "Yes") would match ids and timestamps; anything longer must never appear.
    const probe = t.trim();
    if (probe.length >= 4 && logs.includes(probe)) problems.push(`typed text in logs: ${probe.slice(0, 20)}`);
  }
  for (const line of sim.logLines) {
    if (line.includes('"level":"error"')) problems.push(`error log: ${line.slice(0, 200)}`);
  }
  return problems;
}

/** The database file and its WAL as bytes, to check what is (not) stored in clear. */
export function databaseBytes(sim: Simulation): Buffer {
  const f = sim.store.file;
  return Buffer.concat([
    readFileSync(f),
    existsSync(`${f}-wal`) ? readFileSync(`${f}-wal`) : Buffer.alloc(0),
  ]);
}

/**
 * A fresh simulation per test, with everything typed recorded; after each test, no reply may be
 * an error and no log line may hold what anyone typed. Read `world.sim` and `world.typed` in tests.
 */
export function simulationPerTest(): { sim: Simulation; typed: string[] } {
  const world = {} as { sim: Simulation; typed: string[] };
  beforeEach(() => {
    world.sim = new Simulation();
    world.typed = recordTyped(world.sim);
  });
  afterEach(() => {
    try {
      expect(hygieneProblems(world.sim, world.typed)).toEqual([]);
    } finally {
      world.sim.close();
    }
  });
  return world;
}
