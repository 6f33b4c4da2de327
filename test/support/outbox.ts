import type { Core } from '../../src/core.ts';
import { eventually } from './redis.ts';

/** Every outbox row's kind, recipient and delivery state, oldest first. */
export function outboxStates(bot: { core: Core }): { kind: string; memberId: number; state: string }[] {
  return bot.core.store.sqlite
    .prepare('select kind, member_id as memberId, state from outbox order by id')
    .all() as { kind: string; memberId: number; state: string }[];
}

/** Waits until the send worker has finished with every outbox row (a message can land first). */
export function outboxSettled(bot: { core: Core }, timeoutMs = 5000): Promise<unknown> {
  return eventually(
    () => outboxStates(bot).every((r) => r.state !== 'pending' && r.state !== 'sending'),
    timeoutMs,
    'the outbox to settle',
  );
}
