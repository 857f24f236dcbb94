/**
 * `batchctl audit`: the operator actions recorded in `P:auditoria`.
 */
import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../common/errors.js";
import { AUDIT_CAP, readAudit, type AuditEntry } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { print, renderTable, terminalWidth, type Column } from "./format.js";

interface AuditArgs extends GlobalArgs {
  limit: number;
  json: boolean;
}

const COLUMNS: Column[] = [
  { header: "WHEN" },
  { header: "WHO" },
  { header: "COMMAND" },
  { header: "COUNT", align: "right" },
  { header: "DETAIL" },
];

/** The entries as an aligned table. */
function formatTable(entries: AuditEntry[]): string {
  const rows = entries.map((entry) => [
    entry.when.replace(/\.\d+Z$/, "Z"),
    `${entry.user}@${entry.host}${entry.origin === "cli" ? "" : ` (${entry.origin})`}`,
    entry.command,
    String(entry.count),
    entry.detail ?? "",
  ]);
  return renderTable(COLUMNS, rows, terminalWidth());
}

export const auditCommand: CommandModule<GlobalArgs, AuditArgs> = {
  command: "audit",
  describe:
    "list operator actions (retry, delete, purge, pause...), newest first",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("limit", {
        type: "number",
        default: 50,
        describe: `most entries shown (the list keeps ${AUDIT_CAP})`,
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "one JSON object per line",
      })
      .example("$0 audit", "the last 50 actions")
      .example(
        "$0 audit --json --limit 1000 | jq -c 'select(.command==\"purge\")'",
        "",
      ) as unknown as Argv<AuditArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    if (!Number.isInteger(argv.limit) || argv.limit < 1) {
      throw new UsageError("--limit: must be a whole number above 0");
    }

    const entries = await withQueue(config, (queue) =>
      readAudit(queue, { limit: argv.limit }),
    );

    if (argv.json) {
      if (entries.length > 0) {
        print(entries.map((e) => JSON.stringify(e)).join("\n"));
      }
    } else if (entries.length === 0) {
      print("no operator actions recorded");
    } else {
      print(formatTable(entries));
    }
  },
};
