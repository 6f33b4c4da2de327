import { sql } from 'drizzle-orm';
import { blob, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Times are epoch milliseconds. Anything a person typed is a sealed blob (see store/crypto.ts).

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;

/** A person on one platform. Deleting the row destroys their data key (crypto-shredding). */
export const members = sqliteTable(
  'members',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform', { enum: ['telegram', 'discord'] }).notNull(),
    platformUserId: text('platform_user_id').notNull(),
    /** The member's data key, wrapped (AES-256-GCM) by the master key. */
    wrappedKey: blob('wrapped_key', { mode: 'buffer' }).notNull(),
    displayName: blob('display_name', { mode: 'buffer' }),
    locale: text('locale'),
    timeZone: text('time_zone'),
    role: text('role', { enum: ['recovery', 'partner', 'unspecified'] }),
    /** Neutral flag: this person uses the bot alone. Never why. */
    solo: integer('solo', { mode: 'boolean' }).notNull().default(false),
    onboardedAt: integer('onboarded_at'),
    /** The platform refused delivery (blocked the bot); cleared when they write again. */
    unreachableAt: integer('unreachable_at'),
    failedJoins: integer('failed_joins').notNull().default(0),
    failedJoinsSince: integer('failed_joins_since'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('members_platform_user').on(t.platform, t.platformUserId)],
);

/** Two members who check in together, or one member checking in alone (kind "solo"). */
export const couples = sqliteTable(
  'couples',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['pair', 'solo'] }).notNull(),
    status: text('status', { enum: ['active', 'ended'] })
      .notNull()
      .default('active'),
    memberA: integer('member_a').references(() => members.id, { onDelete: 'set null' }),
    memberB: integer('member_b').references(() => members.id, { onDelete: 'set null' }),
    template: text('template', { enum: ['rebuild-trust', 'fanos', 'daily-trust-meter'] })
      .notNull()
      .default('rebuild-trust'),
    /** Weekdays as ISO numbers 1 (Monday) .. 7 (Sunday), comma separated. */
    weekdays: text('weekdays').notNull().default('7'),
    /** Local time of day, "HH:MM". */
    localTime: text('local_time').notNull().default('19:00'),
    timeZone: text('time_zone').notNull(),
    reminderMinutes: integer('reminder_minutes').notNull().default(240),
    windowMinutes: integer('window_minutes').notNull().default(1440),
    /** Paused until this moment; a far-future value means "until resumed". */
    pausedUntil: integer('paused_until'),
    roundCount: integer('round_count').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    endedAt: integer('ended_at'),
  },
  (t) => [index('couples_member_a').on(t.memberA), index('couples_member_b').on(t.memberB)],
);

/** One-time codes: pairing invites and therapist-channel links. Only a hash is kept. */
export const invites = sqliteTable(
  'invites',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['pair', 'channel'] }).notNull(),
    codeHash: text('code_hash').notNull(),
    createdBy: integer('created_by').references(() => members.id, { onDelete: 'cascade' }),
    channelId: integer('channel_id').references(() => therapistChannels.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('invites_code_hash').on(t.codeHash)],
);

/** One check-in occurrence of a couple. */
export const rounds = sqliteTable(
  'rounds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    coupleId: integer('couple_id')
      .notNull()
      .references(() => couples.id, { onDelete: 'cascade' }),
    /** "s:<ISO instant>" for scheduled rounds, "d:<local date>:<n>" for on-demand ones. */
    occurrenceKey: text('occurrence_key').notNull(),
    template: text('template', { enum: ['rebuild-trust', 'fanos', 'daily-trust-meter'] }).notNull(),
    sequence: integer('sequence').notNull(),
    status: text('status', { enum: ['open', 'revealed', 'closed'] })
      .notNull()
      .default('open'),
    openedAt: integer('opened_at').notNull(),
    remindAt: integer('remind_at'),
    deadlineAt: integer('deadline_at').notNull(),
    revealedAt: integer('revealed_at'),
    closedAt: integer('closed_at'),
  },
  (t) => [
    uniqueIndex('rounds_couple_occurrence').on(t.coupleId, t.occurrenceKey),
    index('rounds_status').on(t.status),
  ],
);

/** A member's part in a round. */
export const participations = sqliteTable(
  'participations',
  {
    roundId: integer('round_id')
      .notNull()
      .references(() => rounds.id, { onDelete: 'cascade' }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    submittedAt: integer('submitted_at'),
    release: text('release', { enum: ['released', 'kept'] }),
  },
  (t) => [uniqueIndex('participations_round_member').on(t.roundId, t.memberId)],
);

export const answers = sqliteTable(
  'answers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    roundId: integer('round_id')
      .notNull()
      .references(() => rounds.id, { onDelete: 'cascade' }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    questionId: text('question_id').notNull(),
    /** Sealed; null when skipped. */
    value: blob('value', { mode: 'buffer' }),
    shared: integer('shared', { mode: 'boolean' }).notNull(),
    crisis: integer('crisis', { mode: 'boolean' }).notNull().default(false),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('answers_round_member_question').on(t.roundId, t.memberId, t.questionId)],
);

/** Where a person is in a conversation with the bot, so a restart resumes exactly there. */
export const conversations = sqliteTable('conversations', {
  memberId: integer('member_id')
    .primaryKey()
    .references(() => members.id, { onDelete: 'cascade' }),
  /** Which flow and step, e.g. "onboarding:role", "checkin:question", "review". */
  step: text('step').notNull(),
  roundId: integer('round_id').references(() => rounds.id, { onDelete: 'set null' }),
  questionId: text('question_id'),
  /** Sealed JSON for anything in progress that the person typed or chose (e.g. a pending code). */
  draft: blob('draft', { mode: 'buffer' }),
  updatedAt: integer('updated_at').notNull(),
});

/** A group or channel a therapist invited a couple into. */
export const therapistChannels = sqliteTable(
  'therapist_channels',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform', { enum: ['telegram', 'discord'] }).notNull(),
    chatId: text('chat_id').notNull(),
    coupleId: integer('couple_id').references(() => couples.id, { onDelete: 'set null' }),
    status: text('status', { enum: ['linking', 'awaiting-consent', 'active', 'ended'] }).notNull(),
    /** The group's name as the platform reported it at /link; sealed (someone typed it). Wiped at the end. */
    title: blob('title', { mode: 'buffer' }),
    /** How many members the group had at /link, as shown in the consent request. */
    memberCount: integer('member_count'),
    /** When a partner redeemed the /link code and bound the channel to their couple. */
    boundAt: integer('bound_at'),
    /** When both partners had agreed; rounds opened before it are never posted here. */
    activatedAt: integer('activated_at'),
    endedAt: integer('ended_at'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('therapist_channels_chat').on(t.platform, t.chatId),
    index('therapist_channels_couple').on(t.coupleId),
  ],
);

/** Versioned consent records; a revoke sets revokedAt, a new grant is a new row. */
export const consents = sqliteTable(
  'consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    channelId: integer('channel_id')
      .notNull()
      .references(() => therapistChannels.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: ['scores', 'words'] }).notNull(),
    version: integer('version').notNull(),
    grantedAt: integer('granted_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('consents_member_channel').on(t.memberId, t.channelId)],
);

/**
 * Messages to anyone but the actor, written in the transaction that caused them. Holds
 * references, never text: the text is rendered at send time, re-checking rights then.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').references(() => members.id, { onDelete: 'cascade' }),
    channelId: integer('channel_id').references(() => therapistChannels.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    roundId: integer('round_id').references(() => rounds.id, { onDelete: 'cascade' }),
    /** Unique per logical message, so a retried transaction can never queue it twice. */
    dedupeKey: text('dedupe_key').notNull(),
    state: text('state', { enum: ['pending', 'sending', 'sent', 'uncertain', 'failed', 'cancelled'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [uniqueIndex('outbox_dedupe').on(t.dedupeKey), index('outbox_state').on(t.state)],
);

/** Inbound updates already applied; recorded in the same transaction as their effect. */
export const processedInbound = sqliteTable('processed_inbound', {
  key: text('key').primaryKey(),
  processedAt: integer('processed_at').notNull(),
});

/** Platform ids of the bot's messages in a member's private chat, so /clear can delete them. */
export const sentMessages = sqliteTable(
  'sent_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    roundId: integer('round_id').references(() => rounds.id, { onDelete: 'cascade' }),
    chatId: text('chat_id').notNull(),
    messageId: text('message_id').notNull(),
    sentAt: integer('sent_at').notNull(),
  },
  // One row per message: an edited message is reported again, and /clear must delete it once.
  (t) => [
    index('sent_messages_member').on(t.memberId, t.roundId),
    uniqueIndex('sent_messages_message').on(t.memberId, t.chatId, t.messageId),
  ],
);

/** What happened, never what was said: action codes and ids only. */
export const audit = sqliteTable('audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: integer('at').notNull(),
  memberId: integer('member_id').references(() => members.id, { onDelete: 'set null' }),
  coupleId: integer('couple_id').references(() => couples.id, { onDelete: 'set null' }),
  action: text('action').notNull(),
});
