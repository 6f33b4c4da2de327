import { defineConfig } from 'drizzle-kit';

// Tooling only: the app itself opens the database through src/store/db.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './migrations',
});
