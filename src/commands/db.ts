/**
 * `batchctl db setup`: applies the reference schema, the batch role and,
 * with `--demo`, sample tickets. Idempotent.
 */
import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../common/errors.js";
import { setupDatabase } from "../db/index.js";
import { readConfig, type GlobalArgs } from "./common.js";

interface SetupArgs extends GlobalArgs {
  adminUrl?: string;
  role?: string;
  demo: boolean;
  json: boolean;
}

/** Role created when neither --role nor a separate batch URL names one. */
const DEFAULT_ROLE = "usuario_batch";

function userOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).username) || undefined;
  } catch {
    return undefined;
  }
}

const setupCommand: CommandModule<GlobalArgs, SetupArgs> = {
  command: "setup",
  describe: "create the ticket schema, its functions and the batch role",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("admin-url", {
        type: "string",
        describe:
          "URL of a role that may create schemas and roles (env DATABASE_URL_ADMIN)",
      })
      .option("role", {
        type: "string",
        describe: `batch role to create (default: ${DEFAULT_ROLE})`,
      })
      .option("demo", {
        type: "boolean",
        default: false,
        describe: "load a few hundred sample tickets",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print the report as JSON",
      })
      .example("$0 db setup --demo", "embedded database with sample tickets")
      .example(
        "$0 db setup --admin-url postgresql://postgres@127.0.0.1/tickets",
        "a real server",
      ) as unknown as Argv<SetupArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    const adminUrl =
      argv.adminUrl ?? (process.env.DATABASE_URL_ADMIN || config.databaseUrl);
    const separateBatchUser =
      adminUrl !== config.databaseUrl ? userOf(config.databaseUrl) : undefined;
    const role = argv.role ?? separateBatchUser ?? DEFAULT_ROLE;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
      throw new UsageError(
        `--role: "${role}" must be a lower-case identifier such as usuario_batch`,
      );
    }

    const report = await setupDatabase({
      adminUrl,
      dataDir: config.pgliteDir,
      role,
      demo: argv.demo,
    });

    if (argv.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    for (const [key, value] of Object.entries(report)) {
      process.stdout.write(
        `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}\n`,
      );
    }
  },
};

export const dbCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: "db <action>",
  describe: "manage the ticket database (db setup)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .command(setupCommand)
      .demandCommand(1, "say which db action: setup") as Argv<GlobalArgs>,
  handler: () => undefined,
};
