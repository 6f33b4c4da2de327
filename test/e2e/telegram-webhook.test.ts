import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { TelegramAdapter } from '../../adapters/telegram/adapter.ts';
import { copy } from '../../src/checkin/copy.ts';
import { openCore } from '../../src/core.ts';
import { createLogger } from '../../src/ops/log.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram/emulator.ts';
import { tempDirs } from '../support/tmp.ts';

// Webhook mode: Telegram posts updates to us with a secret header; anything without the right
// secret is refused before it reaches the bot.

const tempDir = tempDirs('checkin-webhook');
let emu: TelegramEmulator | undefined;
let adapter: TelegramAdapter | undefined;
afterEach(async () => {
  await adapter?.stop();
  await emu?.close();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

it('takes updates only with the right secret, and answers them', async () => {
  emu = await startTelegramEmulator();
  const core = openCore({
    databaseFile: join(tempDir(), 'db.sqlite'),
    dataKey: randomBytes(32),
    log: createLogger('silent'),
  });
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}/telegram`;
  adapter = new TelegramAdapter({
    token: emu.token,
    apiRoot: emu.url,
    webhook: { url, secret, port },
    log: createLogger('silent'),
  });
  await adapter.start(core.engine);

  const update = {
    update_id: 1,
    message: { message_id: 1, date: 0, chat: { id: 5, type: 'private' }, text: 'hi' },
  };
  for (const header of [undefined, 'wrong', `${secret}x`]) {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(header ? { 'x-telegram-bot-api-secret-token': header } : {}),
      },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(401);
  }

  // The emulator delivers to the registered webhook with the secret, as Telegram does.
  const user = emu.user(77, { first_name: 'Ana' });
  await user.sendCommand('/start');
  await emu.waitFor(
    () => user.messages().some((m) => (m.visibleText ?? '').includes(copy.onboarding.role)),
    10_000,
  );
  expect(user.messages()[0]!.visibleText).toContain(copy.onboarding.welcome.slice(0, 40));
  core.store.close();
});
