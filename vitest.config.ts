import { defineConfig } from 'vitest/config';

// BullMQ checks the Redis server (INFO) when a connection becomes ready, and re-emits a failure
// of that check as an 'error' event on an internal connection object that sometimes has no
// listener. When a test stops Redis (or the app) at that very moment, the rejection surfaces
// as unhandled. Only that race is ignored here; main.ts logs such rejections by kind.
const BULLMQ_INIT_RACE =
  /^(Stream isn't writeable and enableOfflineQueue options is false|Connection is closed\.)$/;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two files at a time: the end-to-end suites spend most of their time waiting on platform
    // rate gates (one message a second per chat), so two share the machine's two cores well.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    onUnhandledError(error) {
      if (BULLMQ_INIT_RACE.test(error.message ?? '')) return false;
    },
  },
});
