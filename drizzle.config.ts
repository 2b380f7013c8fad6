import { defineConfig } from "drizzle-kit";

// Migrations are generated from db/schema.ts and applied by db/migrate.ts (at
// start-up under an advisory lock, or by `npm run db:migrate`).
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./db/migrations",
});
