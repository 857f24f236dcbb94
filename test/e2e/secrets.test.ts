/**
 * Secrets never leave batchctl. A run is configured with a PostgreSQL
 * password (a login role of its own; the server is trust-auth, so the
 * password is accepted unchecked but still travels everywhere), a Redis
 * password (a private redis-server with requirepass) and a REST token
 * (the test endpoint in front of that server). Every log line of
 * `batchctl work` through outages, every error message (unreachable
 * hosts, refused logins, bad values, usage mistakes, --debug stacks),
 * `stats --json`, `doctor` and the TUI's screens are scanned for each
 * secret, as given, percent-encoded and JSON-escaped.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestServer, type RestServer } from "../fixtures/rest-server.js";
import { openBackend, type TestBackend } from "../helpers/backends.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { startCli, type CliProcess } from "../helpers/e2e.js";
import { TEST_BATCH_ROLE, testDatabaseName } from "../helpers/pg.js";
import { uniquePrefix, waitFor } from "../helpers/redis.js";
import { hasTmux, openTuiTerminal } from "../helpers/tmux.js";
import {
  freePort,
  startPrivateRedis,
  type PrivateRedis,
} from "../helpers/redis-server.js";

const PG_PASSWORD = 'pg-S3cr3t"q@w%z';
/** No quote or space: redis-server reads its arguments as a config line. */
const REDIS_PASSWORD = "rd-S3cr3t:q@w/x";
const REST_TOKEN = "rest-T0ken-9f3a7c1e";
const WRONG_REDIS_PASSWORD = "rd-Wr0ng-p@ss";
const WRONG_TOKEN = "rest-Wr0ng-t0ken-55";
const ADMIN_PASSWORD = "adm-S3cr3t-in-dotenv";
const SECRETS = [
  PG_PASSWORD,
  REDIS_PASSWORD,
  REST_TOKEN,
  WRONG_REDIS_PASSWORD,
  WRONG_TOKEN,
  ADMIN_PASSWORD,
];
/** Each test starts dozens of processes: minutes on a loaded machine. */
const TEST_TIMEOUT_MS = 300_000;
/** A login role of this test's own, with the batch role's rights. */
const SECRET_ROLE = "batchctl_test_secret";
const DB = "secrets";

/** Each secret as it could be printed: as is, URL-encoded, JSON-escaped. */
const FORMS = [
  ...new Set(
    SECRETS.flatMap((secret) =>
      [secret, encodeURIComponent(secret)].flatMap((form) => [
        form,
        JSON.stringify(form).slice(1, -1),
      ]),
    ),
  ),
];

let redis: PrivateRedis;
let rest: RestServer;
let backend: TestBackend;
let pgUrl: string;
let prefix: string;
/** Everything batchctl printed, by where it came from. */
const outputs: { what: string; text: string }[] = [];

/** The outputs that hold a secret, with the secret found. */
function leaks(): { what: string; secret: string }[] {
  return outputs.flatMap(({ what, text }) =>
    FORMS.filter((form) => text.includes(form)).map((secret) => ({
      what,
      secret,
    })),
  );
}

function urlWithPassword(url: string, user: string, password: string) {
  const parsed = new URL(url);
  parsed.username = user;
  // The setter would leave '%' as it is: encode first.
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function tcpEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    REDIS_URL: redis.url,
    DATABASE_URL_BATCH: pgUrl,
    BATCH_QUEUE_PREFIX: prefix,
    LOG_LEVEL: "debug",
    ...extra,
  };
}

function restEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    REDIS_REST_URL: rest.url,
    REDIS_REST_TOKEN: REST_TOKEN,
    DATABASE_URL_BATCH: pgUrl,
    BATCH_QUEUE_PREFIX: prefix,
    LOG_LEVEL: "debug",
    ...extra,
  };
}

/** Runs batchctl and keeps what it printed for the scan. */
async function run(
  what: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<CliResult> {
  const result = await runCli(args, env, undefined, cwd);
  outputs.push({ what, text: result.stdout + result.stderr });
  return result;
}

function keepProcess(what: string, started: CliProcess): void {
  outputs.push({ what, text: started.lines.join("\n") + started.stderr() });
}

async function push(...tasks: object[]) {
  const lines = tasks.map((task) => JSON.stringify(task)).join("\n");
  const result = await runCli(["enqueue", "--file", "-"], tcpEnv(), lines);
  outputs.push({ what: "enqueue", text: result.stdout + result.stderr });
  expect(result.code, result.stderr).toBe(0);
}

async function lockOut(locked: boolean): Promise<void> {
  const db = pg.escapeIdentifier(testDatabaseName(DB));
  if (!locked) {
    await backend.admin.query(`GRANT CONNECT ON DATABASE ${db} TO PUBLIC`);
    return;
  }
  await backend.admin.query(
    `REVOKE CONNECT ON DATABASE ${db} FROM PUBLIC, ${SECRET_ROLE}, ${TEST_BATCH_ROLE}`,
  );
  await backend.admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
    [SECRET_ROLE],
  );
}

beforeAll(async () => {
  redis = await startPrivateRedis({ password: REDIS_PASSWORD });
  rest = await startRestServer({ redisUrl: redis.url, token: REST_TOKEN });
  backend = await openBackend("postgres", DB, 1);
  await backend.admin.query(
    `DO $$ BEGIN CREATE ROLE ${SECRET_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await backend.admin.query(
    `ALTER ROLE ${SECRET_ROLE} PASSWORD ${pg.escapeLiteral(PG_PASSWORD)}`,
  );
  await backend.admin.query(`GRANT ${TEST_BATCH_ROLE} TO ${SECRET_ROLE}`);
  pgUrl = urlWithPassword(backend.batchUrl!, SECRET_ROLE, PG_PASSWORD);
  prefix = uniquePrefix("secrets");
});

afterAll(async () => {
  await rest?.close();
  await redis?.destroy();
  await backend?.close();
});

describe("secrets", () => {
  it(
    "appear in no log line of a worker through a PostgreSQL and a Redis outage",
    async () => {
      await push(
        { tipo: "procesar_tickets_vencidos" },
        { tipo: "generar_reporte", fecha: "2024-01-15" },
        {
          tipo: "notificar_ticket_creado",
          ticket_id: "0b7d3c1e-8f4a-4f5e-9a1b-2c3d4e5f6a7b",
        },
      );
      const worker = startCli(
        [
          "work",
          "--heartbeat-ttl",
          "2",
          "--retry-base",
          "50",
          "--retry-max",
          "200",
        ],
        tcpEnv(),
      );
      const logged = (text: string) => () =>
        worker.lines.some((line) => line.includes(text));
      try {
        await waitFor(logged("task processed"), 20_000, "a processed task");

        await lockOut(true);
        await push({ tipo: "generar_reporte", fecha: "2024-01-16" });
        await waitFor(logged("database unreachable"), 20_000, "the outage");
        await lockOut(false);
        await waitFor(logged("database reachable again"), 20_000, "the return");

        await redis.stop("SIGKILL");
        await waitFor(logged("Redis connection lost"), 20_000, "Redis lost");
        await redis.start();
        await waitFor(
          logged("Redis connection restored"),
          20_000,
          "Redis back",
        );
      } finally {
        await lockOut(false);
        if (!redis.isRunning) await redis.start();
        worker.child.kill("SIGTERM");
        await worker.exited;
        keepProcess("work over TCP", worker);
      }

      expect(worker.lines.some((line) => line.includes("task failed"))).toBe(
        true,
      );
      expect(leaks()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "appear in no output of the commands, over TCP and over REST",
    async () => {
      await push({ tipo: "procesar_tickets_vencidos" });
      const drained = await run("work --drain over REST", ["work", "--drain"], {
        ...restEnv(),
      });
      expect(drained.code, drained.stderr).toBe(0);
      for (const [name, env] of [
        ["TCP", tcpEnv()],
        ["REST", restEnv()],
      ] as const) {
        for (const args of [
          ["stats", "--json"],
          ["stats"],
          ["doctor"],
          ["doctor", "--json"],
          ["ls", "fallidas"],
          ["ls", "procesadas", "--json"],
          ["check", "--json", "--max-pending", "1000"],
          ["audit"],
        ]) {
          const result = await run(`${args.join(" ")} over ${name}`, args, env);
          expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
        }
      }
      const stats = await run("stats --json", ["stats", "--json"], tcpEnv());
      expect(JSON.parse(stats.stdout).counts.procesadas).toBeGreaterThan(0);

      expect(leaks()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "appear in no error message: unreachable, refused, badly configured",
    async () => {
      const closed = await freePort();
      const at = (port: number) => `127.0.0.1:${port}`;
      const redisAt = (password: string, port = redis.port) =>
        `redis://:${encodeURIComponent(password)}@${at(port)}`;
      const pgAt = (user: string, port = 5432, db = testDatabaseName(DB)) =>
        `postgresql://${user}:${encodeURIComponent(PG_PASSWORD)}@${at(port)}/${db}`;
      const cases: [string, string[], NodeJS.ProcessEnv, number][] = [
        [
          "Redis unreachable",
          ["stats"],
          tcpEnv({ REDIS_URL: redisAt(REDIS_PASSWORD, closed) }),
          3,
        ],
        [
          "Redis refuses the password",
          ["stats"],
          tcpEnv({ REDIS_URL: redisAt(WRONG_REDIS_PASSWORD) }),
          3,
        ],
        [
          "work: Redis refuses the password",
          ["work", "--drain"],
          tcpEnv({ REDIS_URL: redisAt(WRONG_REDIS_PASSWORD) }),
          3,
        ],
        [
          "REST refuses the token",
          ["stats"],
          restEnv({ REDIS_REST_TOKEN: WRONG_TOKEN }),
          3,
        ],
        [
          "work: REST refuses the token",
          ["work", "--drain"],
          restEnv({ REDIS_REST_TOKEN: WRONG_TOKEN }),
          3,
        ],
        [
          "REST unreachable",
          ["stats"],
          restEnv({ REDIS_REST_URL: `http://${at(closed)}` }),
          3,
        ],
        [
          "REST token in the URL",
          ["stats"],
          restEnv({
            REDIS_REST_URL: `http://${at(closed)}/?_token=${REST_TOKEN}`,
          }),
          3,
        ],
        [
          "PostgreSQL unreachable",
          ["work", "--drain"],
          tcpEnv({ DATABASE_URL_BATCH: pgAt(SECRET_ROLE, closed) }),
          3,
        ],
        [
          "PostgreSQL: unknown role",
          ["work", "--drain"],
          tcpEnv({ DATABASE_URL_BATCH: pgAt("batchctl_nobody") }),
          3,
        ],
        [
          "PostgreSQL: unknown database",
          ["work", "--drain"],
          tcpEnv({
            DATABASE_URL_BATCH: pgAt(SECRET_ROLE, 5432, "batchctl_no_such_db"),
          }),
          3,
        ],
        [
          "doctor: PostgreSQL unreachable",
          ["doctor"],
          tcpEnv({ DATABASE_URL_BATCH: pgAt(SECRET_ROLE, closed) }),
          1,
        ],
        [
          "--debug: Redis refuses the password",
          ["stats", "--debug"],
          tcpEnv({ REDIS_URL: redisAt(WRONG_REDIS_PASSWORD) }),
          3,
        ],
        [
          "--debug: PostgreSQL unreachable",
          ["work", "--debug"],
          tcpEnv({ DATABASE_URL_BATCH: pgAt(SECRET_ROLE, closed) }),
          3,
        ],
        [
          "a Redis password not percent-encoded",
          ["stats"],
          tcpEnv({ REDIS_URL: `redis://:${REDIS_PASSWORD}@${at(closed)}` }),
          3,
        ],
        [
          "Redis URL of the wrong scheme",
          ["stats"],
          tcpEnv({
            REDIS_URL: `http://:${encodeURIComponent(REDIS_PASSWORD)}@${at(closed)}`,
          }),
          2,
        ],
        [
          "Redis URL with a bad port",
          ["stats"],
          tcpEnv({
            REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:99999`,
          }),
          2,
        ],
        [
          "database URL of the wrong scheme",
          ["work"],
          tcpEnv({
            DATABASE_URL_BATCH: `mysql://u:${encodeURIComponent(PG_PASSWORD)}@h/db`,
          }),
          2,
        ],
        [
          "a token with a newline",
          ["stats"],
          restEnv({ REDIS_REST_TOKEN: `${REST_TOKEN}\n` }),
          2,
        ],
        [
          "a token with a space",
          ["stats"],
          restEnv({ REDIS_REST_TOKEN: `Bearer ${REST_TOKEN}` }),
          2,
        ],
        [
          "a URL typed as the list name",
          ["ls", redisAt(REDIS_PASSWORD)],
          tcpEnv(),
          2,
        ],
        [
          "a URL flag and an unknown flag",
          ["stats", "--redis-url", redisAt(REDIS_PASSWORD), "--bogus"],
          {},
          2,
        ],
        [
          "a URL flag with '=' and a bad value",
          [`--database-url=${pgAt(SECRET_ROLE)}`, "work", "--concurrency", "0"],
          tcpEnv(),
          2,
        ],
        [
          "work: bad --task-timeout",
          ["work", "--task-timeout", "1e12"],
          tcpEnv(),
          2,
        ],
        [
          "db setup: admin unreachable",
          [
            "db",
            "setup",
            "--admin-url",
            `postgresql://postgres:${ADMIN_PASSWORD}@${at(closed)}/x`,
          ],
          tcpEnv(),
          3,
        ],
      ];

      const codes: Record<string, number | null> = {};
      for (const [what, args, env] of cases) {
        codes[what] = (await run(what, args, env)).code;
      }
      // The .env file of the working directory is read too.
      const dir = await mkdtemp(join(tmpdir(), "batchctl-secrets-"));
      try {
        await writeFile(
          join(dir, ".env"),
          `DATABASE_URL_ADMIN=postgresql://postgres:${ADMIN_PASSWORD}@${at(closed)}/x\n`,
        );
        const what = "db setup: admin URL from .env unreachable";
        codes[what] = (await run(what, ["db", "setup"], {}, dir)).code;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      expect(codes).toEqual({
        ...Object.fromEntries(cases.map(([what, , , code]) => [what, code])),
        "db setup: admin URL from .env unreachable": 3,
      });
      expect(leaks()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "appear on no screen of the TUI, connected or not",
    async () => {
      if (!hasTmux()) {
        throw new Error("tmux is missing: install it (bash .ci/run does)");
      }
      const connected = await openTuiTerminal({
        name: "secrets",
        env: tcpEnv(),
        args: ["--refresh", "300"],
        width: 120,
        height: 30,
        keyPauseMs: 400,
      });
      try {
        const { press } = connected;
        const look = async (what: string, check: (s: string) => boolean) => {
          const text = await connected.waitForScreen(check, what);
          outputs.push({ what: `tui: ${what}`, text });
        };
        await look("header", (s) => s.includes("● connected"));
        for (const list of ["1", "2", "3", "4", "5", "6"]) {
          await press(list);
          await look(`list ${list}`, () => true);
        }
        await press("Enter");
        await look("detail", (s) => s.includes("id           "));
        await press("Escape", "?");
        await look("help", (s) => s.includes("Keys · "));
        await press("Escape", "g");
        await look("groups", (s) => s.includes("Failure groups"));
        await press("Escape", "e");
        await look("enqueue form", (s) => s.includes("Enqueue a task"));
        await press("Escape");

        await redis.stop("SIGKILL");
        await look("Redis lost", (s) => s.includes("Redis lost"));
        await redis.start();
        await look("Redis back", (s) => s.includes("● connected"));
        await press("q");
        await look("exit", (s) => s.includes("EXITED 0"));
      } finally {
        await connected.close();
        if (!redis.isRunning) await redis.start();
      }

      const refused = await openTuiTerminal({
        name: "secrets-rest",
        env: restEnv({ REDIS_REST_TOKEN: WRONG_TOKEN }),
        width: 160,
        height: 30,
        keyPauseMs: 400,
      });
      try {
        const text = await refused.waitForScreen(
          (s) => s.includes("refused the token"),
          "the refusal in the status line",
        );
        outputs.push({ what: "tui: refused token", text });
        await refused.press("q");
        const exit = await refused.waitForScreen(
          (s) => /EXITED \d/.test(s),
          "exit",
        );
        outputs.push({ what: "tui: exit after refusal", text: exit });
      } finally {
        await refused.close();
      }

      expect(leaks()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
