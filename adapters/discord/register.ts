import { REST } from 'discord.js';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { registerCommands } from './adapter.ts';

// `npm run discord:register`: (re)registers the bot's application commands now. The bot also
// does this at start whenever the command set changed.

try {
  const config = loadConfig();
  if (!config.discord)
    throw new ConfigError('DISCORD_TOKEN: set it (and DISCORD_APPLICATION_ID) to register commands');
  const rest = new REST({ api: config.discord.apiRoot, version: '10' }).setToken(config.discord.token);
  await registerCommands(rest, config.discord.applicationId, true);
  console.error(
    'Commands registered for servers, the bot DM and private channels (guild and user installs).',
  );
} catch (error) {
  console.error(
    error instanceof ConfigError ? `Configuration problem: ${error.message}` : 'Registering failed.',
  );
  process.exitCode = 1;
}
