import type { Telegram } from 'telegraf';
import { TelegramError } from 'telegraf';
import { TransportError, type TransportLimits } from '../../src/delivery/transport.ts';
import type { OutboundDelete, OutboundMessage } from '../../src/engine/types.ts';
import { inlineKeyboard, renderHtml } from './render.ts';

/** Telegram's published limits, with headroom: ~30 messages/s overall, ~1/s per chat. */
export const TELEGRAM_LIMITS: TransportLimits = {
  perSecond: 25,
  perChatIntervalMs: 1000,
  maxRetryAfterMs: 120_000,
};

// A link in someone's answer must not be fetched by Telegram (that would tell its owner when
// the message went out) nor shown as a preview card.
const NO_PREVIEW = { is_disabled: true };

const harmlessEdit = (e: unknown) =>
  e instanceof TelegramError && e.code === 400 && /message is not modified/.test(e.description);

/**
 * Sends one engine message: edits the message it replaces when it can (a choice updates its
 * question in place), otherwise sends it, split under 4,096 characters, buttons on the last
 * part. Protected messages are always sent new, since an edit cannot add protection.
 * Returns the ids of the messages that now show it.
 */
export async function sendMessage(telegram: Telegram, message: OutboundMessage): Promise<string[]> {
  const chat = message.to.chatId;
  const [opener, ...rest] = message.paragraphs;
  const chunks =
    message.openerAlone && opener && rest.length > 0
      ? [...renderHtml({ paragraphs: [opener] }), ...renderHtml({ paragraphs: rest })]
      : renderHtml(message);
  const markup = inlineKeyboard(message.buttons);
  if (message.replaces && chunks.length === 1 && !message.protect && !message.attachment) {
    try {
      await telegram.editMessageText(chat, Number(message.replaces), undefined, chunks[0]!, {
        parse_mode: 'HTML',
        link_preview_options: NO_PREVIEW,
        ...(markup ? { reply_markup: markup } : {}),
      });
      return [message.replaces];
    } catch (error) {
      if (harmlessEdit(error)) return [message.replaces];
      // Too old or gone: fall through and send it as a new message.
    }
  }
  const ids: string[] = [];
  try {
    for (const [i, text] of chunks.entries()) {
      const last = i === chunks.length - 1;
      const sent = await telegram.sendMessage(chat, text, {
        parse_mode: 'HTML',
        link_preview_options: NO_PREVIEW,
        ...(message.protect ? { protect_content: true } : {}),
        // Only the first part opens neutrally; later parts must not show up on a lock screen.
        ...(i > 0 ? { disable_notification: true } : {}),
        ...(last && markup ? { reply_markup: markup } : {}),
      });
      ids.push(String(sent.message_id));
    }
    if (message.attachment) {
      const a = message.attachment;
      const sent = await telegram.sendDocument(
        chat,
        { source: Buffer.from(a.data, 'utf8'), filename: a.filename },
        { protect_content: true, disable_notification: ids.length > 0 },
      );
      ids.push(String(sent.message_id));
    }
  } catch (error) {
    // Part of a split message arrived: sending it all again would repeat that part.
    if (ids.length > 0) throw new TransportError({ kind: 'uncertain' }, 'partial-send');
    throw error;
  }
  return ids;
}

/** Removes the keyboard of a message, so an old button cannot be pressed twice. */
export async function clearKeyboard(telegram: Telegram, chatId: string, messageId: string): Promise<void> {
  try {
    await telegram.editMessageReplyMarkup(chatId, Number(messageId), undefined, { inline_keyboard: [] });
  } catch {
    // Already without a keyboard, or too old to edit: nothing to do.
  }
}

/** Deletes bot messages where Telegram allows (48 hours); ones too old or already gone are skipped. */
export async function deleteMessages(telegram: Telegram, request: OutboundDelete): Promise<number> {
  let deleted = 0;
  for (const id of request.messageIds) {
    try {
      await telegram.deleteMessage(request.to.chatId, Number(id));
      deleted++;
    } catch (error) {
      if (!(error instanceof TelegramError && error.code === 400)) throw error;
    }
  }
  return deleted;
}

// A chat the bot can no longer write to, whatever it sends: deleted, or where the bot lost the
// right to post. Retrying cannot help.
const GONE = /chat not found|not enough rights|have no rights|CHAT_WRITE_FORBIDDEN/i;

/** A Telegram failure as the delivery worker needs it; never carries message content. */
export function classify(error: unknown, limits: TransportLimits = TELEGRAM_LIMITS): TransportError {
  if (error instanceof TransportError) return error;
  if (error instanceof TelegramError) {
    const code = `telegram-${error.code}`;
    if (error.code === 429) {
      const retryAfterMs = (error.parameters?.retry_after ?? 1) * 1000;
      if (retryAfterMs > limits.maxRetryAfterMs)
        return new TransportError({ kind: 'rejected' }, 'absurd-retry-after');
      return new TransportError({ kind: 'rate-limited', retryAfterMs }, code);
    }
    const movedTo = error.parameters?.migrate_to_chat_id;
    if (error.code === 400 && movedTo !== undefined)
      return new TransportError({ kind: 'moved', chatId: String(movedTo) }, code);
    if (error.code === 403) return new TransportError({ kind: 'unreachable' }, code);
    if (error.code === 400 && GONE.test(error.description))
      return new TransportError({ kind: 'unreachable' }, code);
    if (error.code >= 500) return new TransportError({ kind: 'transient' }, code);
    return new TransportError({ kind: 'rejected' }, code);
  }
  const net = (error as { code?: unknown }).code;
  // Only a refused connection certainly never reached Telegram; anything else may have.
  if (net === 'ECONNREFUSED') return new TransportError({ kind: 'transient' }, 'econnrefused');
  return new TransportError({ kind: 'uncertain' }, typeof net === 'string' ? net.toLowerCase() : 'network');
}
