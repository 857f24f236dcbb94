/**
 * `batchctl ls <list>`: one window of a list, or failures grouped.
 */
import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../common/errors.js";
import {
  groupFailures,
  LIST_NAMES,
  listWindow,
  type FailureGroups,
  type ListEntry,
  type ListName,
  type ListWindow,
} from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import {
  count,
  counted,
  firstLine,
  print,
  relative,
  renderTable,
  shortId,
  terminalWidth,
  warn,
  type Column,
} from "./format.js";

interface LsArgs extends GlobalArgs {
  list: ListName;
  limit: number;
  offset: number;
  tipo?: string;
  json: boolean;
  group: boolean;
}

/** Most entries one `ls` prints; more is a job for a script over pages. */
const MAX_LIMIT = 10_000;

function checkArgs(argv: LsArgs): void {
  const { limit, offset } = argv;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new UsageError(
      `--limit: must be a whole number from 1 to ${MAX_LIMIT}`,
    );
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new UsageError("--offset: must be a whole number of at least 0");
  }
  if (argv.group && argv.list !== "fallidas") {
    throw new UsageError("--group: only works with ls fallidas");
  }
  if (argv.group && argv.tipo !== undefined) {
    throw new UsageError("--group: cannot be combined with --tipo");
  }
  if (argv.tipo === "") {
    throw new UsageError("--tipo: must name a tipo (or invalida)");
  }
}

export const lsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: "ls <list>",
  describe: "list a window of one list (reads only that window)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("list", {
        choices: LIST_NAMES,
        describe: "which list or zset",
        demandOption: true,
      })
      .option("limit", {
        type: "number",
        default: 20,
        describe: `entries to show (1-${MAX_LIMIT}); groups with --group`,
      })
      .option("offset", {
        type: "number",
        default: 0,
        describe: "entries to skip (of the matches, with --tipo)",
      })
      .option("tipo", {
        type: "string",
        describe:
          "only this tipo (invalida: entries without one); scans up to 100,000 entries",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "one JSON object per line (NDJSON)",
      })
      .option("group", {
        type: "boolean",
        default: false,
        describe: "fallidas only: group failures by tipo, class and message",
      })
      .example("$0 ls procesar", "the next 20 tasks to run")
      .example(
        "$0 ls fallidas --tipo generar_reporte --json",
        "failed reports as NDJSON",
      )
      .example(
        "$0 ls fallidas --group",
        "failures grouped; retry --group n acts on one",
      )
      .example(
        "$0 ls procesadas --offset 20 --limit 20",
        "the second page",
      ) as unknown as Argv<LsArgs>,
  handler: async (argv) => {
    checkArgs(argv);
    const config = readConfig(argv);

    if (argv.group) {
      const groups = await withQueue(config, (queue) => groupFailures(queue));
      printGroups(groups, argv);
      return;
    }

    const window = await withQueue(config, (queue) =>
      listWindow(queue, argv.list, {
        offset: argv.offset,
        limit: argv.limit,
        tipo: argv.tipo,
      }),
    );
    if (window.truncated) {
      const { scanned, total } = window;
      const part = `the first ${count(scanned)} of ${count(total)} entries`;
      warn(`--tipo scanned ${part} only; later matches are not shown`);
    }
    if (argv.json) {
      for (const entry of window.entries)
        print(JSON.stringify(entryJson(entry)));
      return;
    }
    printWindow(window, config.prefix, argv.tipo);
  },
};

/** The NDJSON line of one entry. */
function entryJson(entry: ListEntry): Record<string, unknown> {
  return {
    list: entry.list,
    position: entry.position,
    ...(entry.worker !== undefined && { worker: entry.worker }),
    ...(entry.due !== undefined && {
      due_at: new Date(entry.due).toISOString(),
    }),
    id: entry.id ?? null,
    tipo: entry.tipo,
    entry: entry.value ?? entry.raw,
  };
}

function printWindow(window: ListWindow, prefix: string, tipo?: string): void {
  const where = `${prefix}:${window.list}${tipo ? ` (tipo ${tipo})` : ""}`;
  if (window.entries.length === 0) {
    const list = `${prefix}:${window.list}`;
    if (window.total === 0) print(`${list} is empty`);
    else if (tipo && window.offset === 0)
      print(`${list} has no ${tipo} entries`);
    else print(`${where} has nothing at offset ${window.offset}`);
    return;
  }

  const [columns, cells] = layoutFor(window.list);
  print(renderTable(columns, window.entries.map(cells), terminalWidth()));

  const first = window.offset + 1;
  const last = window.offset + window.entries.length;
  const of = tipo
    ? `of the matches (scanned ${count(window.scanned)} of ${count(window.total)})`
    : `of ${count(window.total)}`;
  const hasMore = tipo
    ? window.entries.length === window.limit
    : last < window.total;
  const more = hasMore ? `; next page: --offset ${last}` : "";
  print(`${count(first)}-${count(last)} ${of} in ${where}${more}`);
}

function tries(entry: ListEntry): string {
  const value = entry.value?.intentos;
  return typeof value === "number" ? String(value) : "0";
}

/** A task's own fields (what varies between tasks of one tipo). */
function fields(entry: ListEntry): string {
  if (!entry.value) return `(not JSON) ${firstLine(entry.raw, 60)}`;
  const { id, tipo, encolada_en, intentos, ...rest } = entry.value;
  void [id, tipo, encolada_en, intentos];
  return Object.keys(rest).length ? JSON.stringify(rest) : "";
}

function errorOf(entry: ListEntry): [string, string] {
  const error = entry.value?.error as
    { mensaje?: unknown; clase?: unknown } | undefined;
  return [
    String(error?.clase ?? "-"),
    firstLine(String(error?.mensaje ?? "-"), 120),
  ];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

type Layout = [Column[], (entry: ListEntry) => string[]];

/** Columns of each list: what a person needs to tell its entries apart. */
function layoutFor(list: ListName): Layout {
  const pos: Column = { header: "#", align: "right" };
  const id: Column = { header: "ID" };
  const tipo: Column = { header: "TIPO" };
  const attempts: Column = { header: "TRIES", align: "right" };
  // People count from 1: `--offset 20` starts at #21.
  const base = (e: ListEntry) => [
    String(e.position + 1),
    shortId(e.id),
    e.tipo ?? "-",
  ];

  switch (list) {
    case "procesar":
      return [
        [pos, id, tipo, { header: "QUEUED" }, attempts, { header: "FIELDS" }],
        (e) => [
          ...base(e),
          relative(str(e.value?.encolada_en)),
          tries(e),
          fields(e),
        ],
      ];
    case "procesando":
      return [
        [
          pos,
          id,
          tipo,
          { header: "WORKER" },
          { header: "QUEUED" },
          attempts,
          { header: "FIELDS" },
        ],
        (e) => [
          ...base(e),
          e.worker ?? "-",
          relative(str(e.value?.encolada_en)),
          tries(e),
          fields(e),
        ],
      ];
    case "reintentos":
    case "programadas":
      return [
        [pos, id, tipo, { header: "DUE" }, attempts, { header: "FIELDS" }],
        (e) => [...base(e), relative(e.due), tries(e), fields(e)],
      ];
    case "procesadas":
      return [
        [
          pos,
          id,
          tipo,
          { header: "FINISHED" },
          attempts,
          { header: "TOOK", align: "right" },
          { header: "WORKER" },
        ],
        (e) => [
          ...base(e),
          relative(str(e.value?.terminada_en)),
          tries(e),
          `${String(e.value?.duracion_ms ?? "-")}ms`,
          String(e.value?.worker ?? "-"),
        ],
      ];
    case "fallidas":
      return [
        [
          pos,
          id,
          tipo,
          { header: "FINISHED" },
          attempts,
          { header: "CLASS" },
          { header: "ERROR" },
        ],
        (e) => [
          ...base(e),
          relative(str(e.value?.terminada_en)),
          tries(e),
          ...errorOf(e),
        ],
      ];
  }
}

function printGroups(result: FailureGroups, argv: LsArgs): void {
  const shown = result.groups.slice(argv.offset, argv.offset + argv.limit);
  if (result.capped) {
    const { scanned, total } = result;
    warn(
      `grouped the newest ${count(scanned)} of ${count(total)} failures only`,
    );
  }
  if (argv.json) {
    for (const group of shown) print(JSON.stringify(group));
    return;
  }
  if (result.groups.length === 0) {
    print("no failures");
    return;
  }

  const columns: Column[] = [
    { header: "GROUP", align: "right" },
    { header: "COUNT", align: "right" },
    { header: "TIPO" },
    { header: "CLASS" },
    { header: "FIRST" },
    { header: "LAST" },
    { header: "SAMPLE" },
    { header: "MESSAGE" },
  ];
  const rows = shown.map((g) => [
    String(g.n),
    count(g.count),
    g.tipo,
    g.clase,
    relative(g.first_seen),
    relative(g.last_seen),
    shortId(g.sample_id),
    g.mensaje,
  ]);
  print(renderTable(columns, rows, terminalWidth()));
  const groups = counted(result.groups.length, "group");
  const failures = counted(result.scanned, "failure");
  print(`${groups} of ${failures}; batchctl show <sample> for one`);
}
