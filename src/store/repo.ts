import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { AnswerRecord, RoundView } from '../checkin/types.ts';
import type { Keyring } from './crypto.ts';
import type { Db, Store } from './db.ts';
import * as t from './schema.ts';

export type MemberRow = typeof t.members.$inferSelect;
export type CoupleRow = typeof t.couples.$inferSelect;
export type RoundRow = typeof t.rounds.$inferSelect;
export type OutboxRow = typeof t.outbox.$inferSelect;
export type InviteRow = typeof t.invites.$inferSelect;
export type ChannelRow = typeof t.therapistChannels.$inferSelect;
export type ConsentRow = typeof t.consents.$inferSelect;

/** A conversation step with its unsealed draft. */
export interface Conversation {
  step: string;
  roundId: number | null;
  questionId: string | null;
  draft: Record<string, string> | null;
}

export interface NewOutbox {
  memberId?: number;
  channelId?: number;
  kind: string;
  roundId?: number | null;
  dedupeKey: string;
}

/** Data access for the engine and the workers; seals and opens what people typed. */
export class Repo {
  readonly db: Db;

  constructor(
    readonly store: Store,
    readonly keyring: Keyring,
  ) {
    this.db = store.db;
  }

  /** Runs `fn` in one IMMEDIATE transaction (so concurrent writers queue instead of deadlocking). */
  transaction<T>(fn: () => T): T {
    return this.store.sqlite.transaction(fn).immediate();
  }

  // ---- inbound de-duplication -------------------------------------------------------------

  /** Records an inbound key; false when it was already processed. */
  recordInbound(key: string, now: number): boolean {
    const r = this.db
      .insert(t.processedInbound)
      .values({ key, processedAt: now })
      .onConflictDoNothing()
      .run();
    return r.changes > 0;
  }

  /** Forgets inbound keys older than `before` (platforms stop redelivering long before). */
  pruneInbound(before: number): number {
    return this.db.delete(t.processedInbound).where(lt(t.processedInbound.processedAt, before)).run().changes;
  }

  // ---- members ------------------------------------------------------------------------------

  memberByPlatform(platform: MemberRow['platform'], userId: string): MemberRow | undefined {
    return this.db
      .select()
      .from(t.members)
      .where(and(eq(t.members.platform, platform), eq(t.members.platformUserId, userId)))
      .get();
  }

  member(id: number): MemberRow | undefined {
    return this.db.select().from(t.members).where(eq(t.members.id, id)).get();
  }

  createMember(
    platform: MemberRow['platform'],
    userId: string,
    displayName: string,
    locale: string | null,
    now: number,
  ): MemberRow {
    const wrappedKey = this.keyring.newWrappedKey();
    const row = this.db
      .insert(t.members)
      .values({ platform, platformUserId: userId, wrappedKey, locale, createdAt: now })
      .returning()
      .get();
    return this.updateMember(row.id, { displayName: this.seal(row, 'display_name', displayName) });
  }

  updateMember(id: number, patch: Partial<Omit<MemberRow, 'id'>>): MemberRow {
    return this.db.update(t.members).set(patch).where(eq(t.members.id, id)).returning().get()!;
  }

  displayName(member: MemberRow): string | null {
    return member.displayName ? this.open(member, 'display_name', member.displayName) : null;
  }

  /** Deletes a member and, by cascade, everything of theirs; the wrapped key goes with the row. */
  deleteMember(id: number): void {
    this.db.delete(t.members).where(eq(t.members.id, id)).run();
    this.keyring.forget(id);
  }

  seal(member: Pick<MemberRow, 'id' | 'wrappedKey'>, field: string, value: string): Buffer {
    return this.keyring.seal(member.id, member.wrappedKey, field, value);
  }

  open(member: Pick<MemberRow, 'id' | 'wrappedKey'>, field: string, sealed: Buffer): string {
    return this.keyring.open(member.id, member.wrappedKey, field, sealed);
  }

  // ---- couples ------------------------------------------------------------------------------

  activeCoupleOf(memberId: number): CoupleRow | undefined {
    return this.db
      .select()
      .from(t.couples)
      .where(
        and(
          eq(t.couples.status, 'active'),
          or(eq(t.couples.memberA, memberId), eq(t.couples.memberB, memberId)),
        ),
      )
      .get();
  }

  couple(id: number): CoupleRow | undefined {
    return this.db.select().from(t.couples).where(eq(t.couples.id, id)).get();
  }

  createCouple(values: typeof t.couples.$inferInsert): CoupleRow {
    return this.db.insert(t.couples).values(values).returning().get();
  }

  updateCouple(id: number, patch: Partial<Omit<CoupleRow, 'id'>>): CoupleRow {
    return this.db.update(t.couples).set(patch).where(eq(t.couples.id, id)).returning().get()!;
  }

  /** Every active couple (pair or solo), for the reconciler. */
  activeCouples(): CoupleRow[] {
    return this.db.select().from(t.couples).where(eq(t.couples.status, 'active')).all();
  }

  /** Couples of a member that are solo; deleted with the member. */
  soloCouplesOf(memberId: number): CoupleRow[] {
    return this.db
      .select()
      .from(t.couples)
      .where(and(eq(t.couples.kind, 'solo'), eq(t.couples.memberA, memberId)))
      .all();
  }

  deleteCouple(id: number): void {
    this.db.delete(t.couples).where(eq(t.couples.id, id)).run();
  }

  // ---- invites ------------------------------------------------------------------------------

  createInvite(values: typeof t.invites.$inferInsert): InviteRow {
    return this.db.insert(t.invites).values(values).returning().get();
  }

  inviteByHash(codeHash: string): InviteRow | undefined {
    return this.db.select().from(t.invites).where(eq(t.invites.codeHash, codeHash)).get();
  }

  /** Removes a member's unused invites of a kind (a new /pair replaces the old link). */
  dropUnusedInvites(memberId: number, kind: InviteRow['kind']): void {
    this.db
      .delete(t.invites)
      .where(and(eq(t.invites.createdBy, memberId), eq(t.invites.kind, kind), isNull(t.invites.usedAt)))
      .run();
  }

  /** Marks an invite used; false when someone else used it first. */
  useInvite(id: number, now: number): boolean {
    return (
      this.db
        .update(t.invites)
        .set({ usedAt: now })
        .where(and(eq(t.invites.id, id), isNull(t.invites.usedAt)))
        .run().changes > 0
    );
  }

  // ---- rounds -------------------------------------------------------------------------------

  openRoundOf(coupleId: number): RoundRow | undefined {
    return this.db
      .select()
      .from(t.rounds)
      .where(and(eq(t.rounds.coupleId, coupleId), eq(t.rounds.status, 'open')))
      .get();
  }

  round(id: number): RoundRow | undefined {
    return this.db.select().from(t.rounds).where(eq(t.rounds.id, id)).get();
  }

  /** Inserts a round unless one exists for that occurrence; returns the round and whether it is new. */
  insertRound(
    values: typeof t.rounds.$inferInsert,
    memberIds: number[],
  ): { round: RoundRow; created: boolean } {
    const inserted = this.db.insert(t.rounds).values(values).onConflictDoNothing().returning().get();
    if (!inserted) {
      const existing = this.db
        .select()
        .from(t.rounds)
        .where(and(eq(t.rounds.coupleId, values.coupleId), eq(t.rounds.occurrenceKey, values.occurrenceKey)))
        .get()!;
      return { round: existing, created: false };
    }
    for (const memberId of memberIds) {
      this.db.insert(t.participations).values({ roundId: inserted.id, memberId }).run();
    }
    return { round: inserted, created: true };
  }

  updateRound(id: number, patch: Partial<Omit<RoundRow, 'id'>>): void {
    this.db.update(t.rounds).set(patch).where(eq(t.rounds.id, id)).run();
  }

  /** On-demand rounds a couple opened on one local date. */
  countOnDemand(coupleId: number, localDate: string): number {
    return this.db
      .select({ n: sql<number>`count(*)` })
      .from(t.rounds)
      .where(and(eq(t.rounds.coupleId, coupleId), like(t.rounds.occurrenceKey, `d:${localDate}:%`)))
      .get()!.n;
  }

  participation(roundId: number, memberId: number): typeof t.participations.$inferSelect | undefined {
    return this.db
      .select()
      .from(t.participations)
      .where(and(eq(t.participations.roundId, roundId), eq(t.participations.memberId, memberId)))
      .get();
  }

  updateParticipation(
    roundId: number,
    memberId: number,
    patch: Partial<typeof t.participations.$inferInsert>,
  ): void {
    this.db
      .update(t.participations)
      .set(patch)
      .where(and(eq(t.participations.roundId, roundId), eq(t.participations.memberId, memberId)))
      .run();
  }

  /** Rounds past their deadline that are still open (for the reconciler and the deadline job). */
  overdueRounds(now: number): RoundRow[] {
    return this.db
      .select()
      .from(t.rounds)
      .where(and(eq(t.rounds.status, 'open'), lt(t.rounds.deadlineAt, now)))
      .all();
  }

  /** Every open round, for the reconciler. */
  openRounds(): RoundRow[] {
    return this.db.select().from(t.rounds).where(eq(t.rounds.status, 'open')).all();
  }

  /** A round with its participants and unsealed answers, as the visibility function takes it. */
  roundView(roundId: number): RoundView | undefined {
    return this.roundViews([roundId])[0];
  }

  /** Several rounds as views, in the order of `ids`. */
  roundViews(ids: number[]): RoundView[] {
    if (ids.length === 0) return [];
    const rounds = this.db.select().from(t.rounds).where(inArray(t.rounds.id, ids)).all();
    const parts = this.db.select().from(t.participations).where(inArray(t.participations.roundId, ids)).all();
    const rows = this.db.select().from(t.answers).where(inArray(t.answers.roundId, ids)).all();
    const memberIds = [...new Set(rows.map((a) => a.memberId))];
    const members = new Map(
      (memberIds.length
        ? this.db.select().from(t.members).where(inArray(t.members.id, memberIds)).all()
        : []
      ).map((m) => [m.id, m]),
    );
    const byId = new Map(rounds.map((r) => [r.id, r]));
    return ids
      .map((id) => byId.get(id))
      .filter((r): r is RoundRow => r !== undefined)
      .map((r) => ({
        id: r.id,
        coupleId: r.coupleId,
        template: r.template,
        sequence: r.sequence,
        status: r.status,
        openedAt: r.openedAt,
        revealedAt: r.revealedAt,
        closedAt: r.closedAt,
        participants: parts
          .filter((p) => p.roundId === r.id)
          .map((p) => ({ memberId: p.memberId, submittedAt: p.submittedAt, release: p.release })),
        answers: rows
          .filter((a) => a.roundId === r.id)
          .map((a): AnswerRecord => {
            const m = members.get(a.memberId)!;
            return {
              id: a.id,
              roundId: a.roundId,
              memberId: a.memberId,
              questionId: a.questionId,
              value: a.value ? this.open(m, `answer:${a.roundId}:${a.questionId}`, a.value) : null,
              shared: a.shared,
              crisis: a.crisis,
            };
          }),
      }));
  }

  /** Ids of the most recent rounds a member took part in (newest first), across couples. */
  recentRoundIdsOf(memberId: number, limit: number, coupleId?: number): number[] {
    return this.db
      .select({ id: t.rounds.id })
      .from(t.rounds)
      .innerJoin(t.participations, eq(t.participations.roundId, t.rounds.id))
      .where(
        and(
          eq(t.participations.memberId, memberId),
          coupleId === undefined ? undefined : eq(t.rounds.coupleId, coupleId),
        ),
      )
      .orderBy(desc(t.rounds.openedAt), desc(t.rounds.id))
      .limit(limit)
      .all()
      .map((r) => r.id);
  }

  /** The rounds of a couple before `roundId`, oldest first (for trends). */
  earlierRoundIds(coupleId: number, roundId: number, limit: number): number[] {
    return this.db
      .select({ id: t.rounds.id })
      .from(t.rounds)
      .where(and(eq(t.rounds.coupleId, coupleId), lt(t.rounds.id, roundId)))
      .orderBy(desc(t.rounds.id))
      .limit(limit)
      .all()
      .map((r) => r.id)
      .reverse();
  }

  // ---- answers ------------------------------------------------------------------------------

  /** Stores (or replaces) an answer; null value means skipped. */
  putAnswer(
    member: MemberRow,
    roundId: number,
    questionId: string,
    value: string | null,
    shared: boolean,
    crisis: boolean,
    now: number,
  ): void {
    const sealed = value === null ? null : this.seal(member, `answer:${roundId}:${questionId}`, value);
    this.db
      .insert(t.answers)
      .values({ roundId, memberId: member.id, questionId, value: sealed, shared, crisis, updatedAt: now })
      .onConflictDoUpdate({
        target: [t.answers.roundId, t.answers.memberId, t.answers.questionId],
        set: { value: sealed, shared, crisis, updatedAt: now },
      })
      .run();
  }

  setShared(roundId: number, memberId: number, questionId: string, shared: boolean, now: number): void {
    this.db
      .update(t.answers)
      .set({ shared, updatedAt: now })
      .where(
        and(
          eq(t.answers.roundId, roundId),
          eq(t.answers.memberId, memberId),
          eq(t.answers.questionId, questionId),
        ),
      )
      .run();
  }

  // ---- conversations ------------------------------------------------------------------------

  conversation(member: MemberRow): Conversation | null {
    const row = this.db.select().from(t.conversations).where(eq(t.conversations.memberId, member.id)).get();
    if (!row) return null;
    return {
      step: row.step,
      roundId: row.roundId,
      questionId: row.questionId,
      draft: row.draft ? JSON.parse(this.open(member, 'draft', row.draft)) : null,
    };
  }

  setConversation(member: MemberRow, c: Conversation, now: number): void {
    const values = {
      step: c.step,
      roundId: c.roundId,
      questionId: c.questionId,
      draft: c.draft ? this.seal(member, 'draft', JSON.stringify(c.draft)) : null,
      updatedAt: now,
    };
    this.db
      .insert(t.conversations)
      .values({ memberId: member.id, ...values })
      .onConflictDoUpdate({ target: t.conversations.memberId, set: values })
      .run();
  }

  clearConversation(memberId: number): void {
    this.db.delete(t.conversations).where(eq(t.conversations.memberId, memberId)).run();
  }

  /** Ends every conversation that is about this round (it closed). */
  clearConversationsOfRound(roundId: number): void {
    this.db.delete(t.conversations).where(eq(t.conversations.roundId, roundId)).run();
  }

  // ---- outbox -------------------------------------------------------------------------------

  /** Queues a message; returns its id, or null when that dedupe key was already queued. */
  enqueue(o: NewOutbox, now: number): number | null {
    const row = this.db
      .insert(t.outbox)
      .values({
        memberId: o.memberId ?? null,
        channelId: o.channelId ?? null,
        kind: o.kind,
        roundId: o.roundId ?? null,
        dedupeKey: o.dedupeKey,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: t.outbox.id })
      .get();
    return row?.id ?? null;
  }

  outboxRow(id: number): OutboxRow | undefined {
    return this.db.select().from(t.outbox).where(eq(t.outbox.id, id)).get();
  }

  /** Rows waiting to be sent, oldest first, after `afterId` (for paging). */
  pendingOutbox(limit = 1000, afterId = 0): OutboxRow[] {
    return this.db
      .select()
      .from(t.outbox)
      .where(and(eq(t.outbox.state, 'pending'), gt(t.outbox.id, afterId)))
      .orderBy(asc(t.outbox.id))
      .limit(limit)
      .all();
  }

  /** Moves a row between delivery states; false when it was not in `from`. */
  moveOutbox(id: number, from: OutboxRow['state'][], to: OutboxRow['state'], now: number): boolean {
    return (
      this.db
        .update(t.outbox)
        .set({
          state: to,
          updatedAt: now,
          sentAt: to === 'sent' ? now : undefined,
          attempts: to === 'sending' ? sql`${t.outbox.attempts} + 1` : undefined,
        })
        .where(and(eq(t.outbox.id, id), inArray(t.outbox.state, from)))
        .run().changes > 0
    );
  }

  /** Where each outbox row goes: the platform of its member or channel (rows for gone ones are skipped). */
  outboxPlatforms(ids: number[]): { id: number; platform: MemberRow['platform'] }[] {
    if (ids.length === 0) return [];
    return this.db
      .select({
        id: t.outbox.id,
        platform: sql<
          MemberRow['platform']
        >`coalesce(${t.members.platform}, ${t.therapistChannels.platform})`,
      })
      .from(t.outbox)
      .leftJoin(t.members, eq(t.members.id, t.outbox.memberId))
      .leftJoin(t.therapistChannels, eq(t.therapistChannels.id, t.outbox.channelId))
      .where(and(inArray(t.outbox.id, ids), or(isNotNull(t.members.id), isNotNull(t.therapistChannels.id))))
      .all();
  }

  /**
   * Rows left in "sending" since before `before`: a worker died between marking and confirming.
   * They become "uncertain" and are never re-sent blindly (at most once).
   */
  markStaleSendingUncertain(before: number, now: number): number {
    return this.db
      .update(t.outbox)
      .set({ state: 'uncertain', updatedAt: now })
      .where(and(eq(t.outbox.state, 'sending'), lt(t.outbox.updatedAt, before)))
      .run().changes;
  }

  /** Counts of outbox rows by state, for health and tests. */
  outboxCounts(): Record<OutboxRow['state'], number> {
    const out = { pending: 0, sending: 0, sent: 0, uncertain: 0, failed: 0, cancelled: 0 };
    for (const r of this.db
      .select({ state: t.outbox.state, n: sql<number>`count(*)` })
      .from(t.outbox)
      .groupBy(t.outbox.state)
      .all()) {
      out[r.state] = r.n;
    }
    return out;
  }

  // ---- sent messages (for /clear) -----------------------------------------------------------

  noteSent(memberId: number, roundId: number, chatId: string, messageId: string, now: number): void {
    this.db
      .insert(t.sentMessages)
      .values({ memberId, roundId, chatId, messageId, sentAt: now })
      .onConflictDoNothing()
      .run();
  }

  /** The bot's messages to a member about their most recent round that has any. */
  latestSent(memberId: number): { roundId: number | null; rows: (typeof t.sentMessages.$inferSelect)[] } {
    const last = this.db
      .select({ roundId: t.sentMessages.roundId })
      .from(t.sentMessages)
      .where(eq(t.sentMessages.memberId, memberId))
      .orderBy(desc(t.sentMessages.id))
      .limit(1)
      .get();
    if (!last?.roundId) return { roundId: null, rows: [] };
    const rows = this.db
      .select()
      .from(t.sentMessages)
      .where(and(eq(t.sentMessages.memberId, memberId), eq(t.sentMessages.roundId, last.roundId)))
      .all();
    return { roundId: last.roundId, rows };
  }

  forgetSent(ids: number[]): void {
    if (ids.length) this.db.delete(t.sentMessages).where(inArray(t.sentMessages.id, ids)).run();
  }

  // ---- therapist channels -------------------------------------------------------------------

  channel(id: number): ChannelRow | undefined {
    return this.db.select().from(t.therapistChannels).where(eq(t.therapistChannels.id, id)).get();
  }

  channelByChat(platform: ChannelRow['platform'], chatId: string): ChannelRow | undefined {
    return this.db
      .select()
      .from(t.therapistChannels)
      .where(and(eq(t.therapistChannels.platform, platform), eq(t.therapistChannels.chatId, chatId)))
      .get();
  }

  /** A channel row for this chat, created or reset to "linking" with a fresh title (sealed) and size. */
  startLinking(
    platform: ChannelRow['platform'],
    chatId: string,
    title: string,
    memberCount: number | null,
    now: number,
  ): ChannelRow {
    const fresh = {
      coupleId: null,
      status: 'linking' as const,
      memberCount,
      boundAt: null,
      activatedAt: null,
      endedAt: null,
    };
    const row = this.db
      .insert(t.therapistChannels)
      .values({ platform, chatId, createdAt: now, ...fresh })
      .onConflictDoUpdate({ target: [t.therapistChannels.platform, t.therapistChannels.chatId], set: fresh })
      .returning()
      .get();
    return this.updateChannel(row.id, { title: this.keyring.sealChannel(row.id, 'title', title) });
  }

  updateChannel(id: number, patch: Partial<Omit<ChannelRow, 'id'>>): ChannelRow {
    return this.db
      .update(t.therapistChannels)
      .set(patch)
      .where(eq(t.therapistChannels.id, id))
      .returning()
      .get()!;
  }

  /** The group's name, unsealed; null once the link has ended. */
  channelTitle(channel: ChannelRow): string | null {
    return channel.title ? this.keyring.openChannel(channel.id, 'title', channel.title) : null;
  }

  /** A couple's channels that have not ended, oldest first. */
  channelsOfCouple(coupleId: number): ChannelRow[] {
    return this.db
      .select()
      .from(t.therapistChannels)
      .where(and(eq(t.therapistChannels.coupleId, coupleId), sql`${t.therapistChannels.status} != 'ended'`))
      .orderBy(asc(t.therapistChannels.id))
      .all();
  }

  /** Removes unused link codes of a channel (a new /link replaces the old code). */
  dropUnusedChannelInvites(channelId: number): void {
    this.db
      .delete(t.invites)
      .where(and(eq(t.invites.channelId, channelId), eq(t.invites.kind, 'channel'), isNull(t.invites.usedAt)))
      .run();
  }

  /** Deletes channels still waiting for a /link code to be redeemed whose every code has expired. */
  pruneUnredeemedLinks(now: number): number {
    const live = this.db
      .select({ id: t.invites.id })
      .from(t.invites)
      .where(
        and(
          eq(t.invites.channelId, t.therapistChannels.id),
          isNull(t.invites.usedAt),
          gt(t.invites.expiresAt, now),
        ),
      );
    return this.db
      .delete(t.therapistChannels)
      .where(and(eq(t.therapistChannels.status, 'linking'), sql`not exists ${live}`))
      .run().changes;
  }

  /** Consents to a channel that are in force (granted, not revoked). */
  activeConsents(channelId: number): ConsentRow[] {
    return this.db
      .select()
      .from(t.consents)
      .where(and(eq(t.consents.channelId, channelId), isNull(t.consents.revokedAt)))
      .all();
  }

  grantConsent(
    memberId: number,
    channelId: number,
    scope: ConsentRow['scope'],
    version: number,
    now: number,
  ): void {
    this.db.insert(t.consents).values({ memberId, channelId, scope, version, grantedAt: now }).run();
  }

  /** Ends every consent to a channel that is still in force. */
  revokeConsents(channelId: number, now: number): void {
    this.db
      .update(t.consents)
      .set({ revokedAt: now })
      .where(and(eq(t.consents.channelId, channelId), isNull(t.consents.revokedAt)))
      .run();
  }

  /** Revealed rounds of a couple opened after `since`, newest `limit`, oldest first. */
  revealedRoundIdsSince(coupleId: number, since: number, limit: number): number[] {
    return this.db
      .select({ id: t.rounds.id })
      .from(t.rounds)
      .where(
        and(eq(t.rounds.coupleId, coupleId), eq(t.rounds.status, 'revealed'), gt(t.rounds.openedAt, since)),
      )
      .orderBy(desc(t.rounds.id))
      .limit(limit)
      .all()
      .map((r) => r.id)
      .reverse();
  }

  // ---- audit --------------------------------------------------------------------------------

  /** Records that something happened: an action code and ids, never content. Returns the event's id. */
  audit(
    action: string,
    now: number,
    ids: { memberId?: number | null; coupleId?: number | null } = {},
  ): number {
    return this.db
      .insert(t.audit)
      .values({ at: now, action, memberId: ids.memberId ?? null, coupleId: ids.coupleId ?? null })
      .returning({ id: t.audit.id })
      .get()!.id;
  }

  /** A member's consent records, for /export. */
  consentsOf(memberId: number): (typeof t.consents.$inferSelect)[] {
    return this.db.select().from(t.consents).where(eq(t.consents.memberId, memberId)).all();
  }
}
