/**
 * `batchctl doctor`: is the setup healthy? Redis reachable and not
 * evicting, the database reachable, each configured function present and
 * executable by the batch role. Exits 1 when a check fails.
 */
import type { Argv, CommandModule } from "yargs";
import { FUNCTION_TIPOS, type Config } from "../common/config.js";
import { BatchError, toError } from "../common/errors.js";
import { inspectDatabase, type DatabaseHealth } from "../db/index.js";
import { inspectRedis, type RedisHealth } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { print, renderTable } from "./format.js";

interface DoctorArgs extends GlobalArgs {
  json: boolean;
}

/** One line of the report. */
interface Check {
  status: "ok" | "warn" | "fail";
  check: string;
  detail: string;
  latency_ms?: number;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function checkRedis(config: Config): Promise<Check[]> {
  try {
    const { health, target } = await withQueue(config, async (queue) => ({
      health: await inspectRedis(queue),
      target: `${queue.transport.kind} ${queue.transport.target}`,
    }));
    const version = health.version ? `Redis ${health.version}, ` : "";
    const checks: Check[] = [
      {
        status: "ok",
        check: "redis",
        detail: `${target}: ${version}${ms(health.latency_ms)}`,
        latency_ms: health.latency_ms,
      },
    ];
    if (health.cluster) checks.push(clusterCheck(health.cluster));
    checks.push(evictionCheck(health));
    return checks;
  } catch (error) {
    return [{ status: "fail", check: "redis", detail: toError(error).message }];
  }
}

function clusterCheck(cluster: NonNullable<RedisHealth["cluster"]>): Check {
  const state = cluster.state ?? "unknown";
  const detail =
    `cluster_state ${state}, ${cluster.masters.length} masters ` +
    `(${cluster.masters.map((m) => m.node).join(", ")}); ` +
    `queue keys in slot ${cluster.slot}`;
  // Unknown: CLUSTER INFO refused, as some managed services do.
  const status = state === "ok" ? "ok" : cluster.state ? "fail" : "warn";
  return { status, check: "cluster", detail };
}

function evictionCheck(health: RedisHealth): Check {
  const masters = health.cluster?.masters;
  const where = (policy: string | null) =>
    masters
      ? ` on ${masters
          .filter((m) => m.maxmemory_policy === policy)
          .map((m) => m.node)
          .join(", ")}`
      : "";
  const failed = masters?.find((m) => m.error);
  if (failed) {
    return {
      status: "warn",
      check: "eviction",
      detail: `maxmemory-policy of ${failed.node} unknown: ${failed.error}`,
    };
  }
  if (health.maxmemory_policy === null) {
    return {
      status: "warn",
      check: "eviction",
      detail:
        `CONFIG GET maxmemory-policy is not allowed${where(null)}; ` +
        "make sure it is noeviction",
    };
  }
  if (health.may_evict) {
    return {
      status: "warn",
      check: "eviction",
      detail:
        `maxmemory-policy is ${health.maxmemory_policy}${where(health.maxmemory_policy)}: ` +
        "Redis may evict queue keys under memory pressure; set noeviction",
    };
  }
  const every = masters ? ` on all ${masters.length} masters` : "";
  return {
    status: "ok",
    check: "eviction",
    detail: `maxmemory-policy is noeviction${every}`,
  };
}

function functionChecks(health: DatabaseHealth): Check[] {
  return FUNCTION_TIPOS.map((tipo, i) => {
    const access = health.functions[i]!;
    const name = `${tipo}: ${access.name}`;
    if (access.signatures.length === 0) {
      const variable = `BATCH_FN_${tipo.toUpperCase()}`;
      return {
        status: "fail",
        check: "function",
        detail: `${name} not found (run batchctl db setup, or set ${variable})`,
      };
    }
    if (!access.executable) {
      return {
        status: "fail",
        check: "function",
        detail:
          `${name}: role ${health.role} may not execute ` +
          `${access.signatures.join(", ")} (see sql/grants.sql)`,
      };
    }
    return {
      status: "ok",
      check: "function",
      detail: `${tipo}: ${access.signatures.join(", ")}`,
    };
  });
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  if (!config.databaseUrl) {
    checks.push({
      status: "warn",
      check: "database",
      detail: `DATABASE_URL_BATCH not set: using the embedded PGlite in ${config.pgliteDir}`,
    });
  }
  try {
    const health = await inspectDatabase({
      url: config.databaseUrl,
      dataDir: config.pgliteDir,
      functions: FUNCTION_TIPOS.map((tipo) => config.functions[tipo]),
    });
    checks.push({
      status: "ok",
      check: "database",
      detail: `${health.kind} ${health.description} as ${health.role}: ${ms(health.latency_ms)}`,
      latency_ms: health.latency_ms,
    });
    checks.push(...functionChecks(health));
  } catch (error) {
    checks.push({
      status: "fail",
      check: "database",
      detail: toError(error).message,
    });
  }
  return checks;
}

export const doctorCommand: CommandModule<GlobalArgs, DoctorArgs> = {
  command: "doctor",
  describe: "check Redis, PostgreSQL and the batch role's functions",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print {ok, checks: [{status, check, detail}]} as JSON",
      })
      .example("$0 doctor", "after installing, or when the worker misbehaves")
      .example(
        "$0 doctor --json",
        "for a monitoring probe",
      ) as unknown as Argv<DoctorArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);

    const checks = [
      ...(await checkRedis(config)),
      ...(await checkDatabase(config)),
    ];

    const failed = checks.filter((check) => check.status === "fail");
    if (argv.json) {
      print(JSON.stringify({ ok: failed.length === 0, checks }));
    } else {
      const rows = checks.map((c) => [
        c.status === "fail" ? "FAIL" : c.status,
        c.check,
        c.detail,
      ]);
      print(
        renderTable(
          [{ header: "" }, { header: "CHECK" }, { header: "DETAIL" }],
          rows,
        ),
      );
    }
    if (failed.length) {
      const noun = failed.length === 1 ? "check" : "checks";
      throw new BatchError(`doctor: ${failed.length} ${noun} failed`);
    }
  },
};
