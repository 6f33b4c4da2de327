import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../adapters/telegram/send.ts';

// Failures the emulator does not produce (it never restricts the bot in a group): the Bot API's
// own error bodies, as telegraf surfaces them.
const tgError = (code: number, description: string, parameters?: Record<string, unknown>) =>
  new TelegramError({ error_code: code, description, ...(parameters ? { parameters } : {}) });

describe('Telegram failures, as the send worker sees them', () => {
  it('treats a group the bot may no longer write to as unreachable, not as a bad request', () => {
    for (const description of [
      'Bad Request: not enough rights to send text messages to the chat',
      'Bad Request: have no rights to send a message',
      'Bad Request: chat not found',
      'Forbidden: bot was kicked from the supergroup chat',
    ]) {
      expect(classify(tgError(description.startsWith('Forbidden') ? 403 : 400, description)).failure).toEqual(
        {
          kind: 'unreachable',
        },
      );
    }
    expect(classify(tgError(400, "Bad Request: can't parse entities")).failure).toEqual({ kind: 'rejected' });
  });

  it('follows a group upgraded to a supergroup to its new id', () => {
    const moved = tgError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
      migrate_to_chat_id: -1001234567890,
    });
    expect(classify(moved).failure).toEqual({ kind: 'moved', chatId: '-1001234567890' });
  });
});
