/**
 * Configuration (DESIGN.md section 5): environment first, a `.env` file if
 * present, flags override. Invalid values stop the program before it
 * touches anything, with one line naming the variable or flag.
 */
import { existsSync } from "node:fs";
import dotenv from "dotenv";
import { z } from "zod";
import {
  clusterPrefixIssue,
  parseClusterNodes,
  type ClusterConfig,
} from "./cluster.js";
import { ConfigError } from "./errors.js";
import { registerStartupSecrets, registerUrlSecrets } from "./redact.js";

/** Task types that call a database function, and their env variables. */
export const FUNCTION_TIPOS = [
  "notificar_ticket_creado",
  "procesar_tickets_vencidos",
  "generar_reporte",
] as const;
export type FunctionTipo = (typeof FUNCTION_TIPOS)[number];

/** The reference schema's function for each tipo (sql/schema.sql). */
export const DEFAULT_FUNCTIONS: Record<FunctionTipo, string> = {
  notificar_ticket_creado: "batch.notificar_ticket_creado",
  procesar_tickets_vencidos: "batch.procesar_tickets_vencidos",
  generar_reporte: "batch.generar_reporte",
};

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_PREFIX = "cola:batch";
export const DEFAULT_PGLITE_DIR = ".batchctl/pgdata";

/** The settings every command shares. */
export interface Config {
  /** TCP Redis URL (ignored when `redisRest` or `redisCluster` is set). */
  redisUrl: string;
  /** A Redis Cluster's startup nodes, when Redis is a cluster. */
  redisCluster: ClusterConfig | undefined;
  /** Upstash-style REST endpoint and token, when Redis is reached over HTTP. */
  redisRest: { url: string; token: string } | undefined;
  /** PostgreSQL URL of the batch role; unset means embedded PGlite. */
  databaseUrl: string | undefined;
  /** Where the embedded database lives when `databaseUrl` is unset. */
  pgliteDir: string;
  /** Functions are called as prepared statements (BATCH_PG_PREPARE). */
  pgPrepare: boolean;
  /** Key prefix of the queue, e.g. `cola:batch`. */
  prefix: string;
  /** Database function called for each tipo. */
  functions: Record<FunctionTipo, string>;
  /** NODE_ENV is `production`. */
  production: boolean;
  /** pino level. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/** Flags that override the environment (all optional). */
export interface ConfigFlags {
  redisUrl?: string;
  redisRestUrl?: string;
  redisClusterNodes?: string;
  databaseUrl?: string;
  prefix?: string;
  logLevel?: string;
}

/** What a bearer token may hold: visible ASCII, no space or quote. */
const TOKEN_PATTERN = /^[\x21\x23-\x7e]+$/;

/** PostgreSQL truncates identifiers past NAMEDATALEN - 1 = 63 bytes. */
const IDENT = "[A-Za-z_][A-Za-z0-9_$]{0,62}";
/** A database function name: `name` or `schema.name`. */
export const FUNCTION_NAME = new RegExp(`^${IDENT}(\\.${IDENT})?$`);

function urlWithProtocols(protocols: string[], hint: string) {
  return z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${hint}`);
}

const redisUrlSchema = urlWithProtocols(
  ["redis:", "rediss:"],
  "redis:// or rediss://",
);
const restUrlSchema = urlWithProtocols(["http:", "https:"], "https://");
const databaseUrlSchema = urlWithProtocols(
  ["postgres:", "postgresql:"],
  "postgresql://",
);
const prefixSchema = z
  .string()
  .regex(
    /^[^\s*?[\]]{1,100}$/,
    "must be 1-100 chars without spaces or * ? [ ]",
  );
const functionSchema = z
  .string()
  .regex(FUNCTION_NAME, "must be a function name such as schema.function");
/** On/off words of a switch such as BATCH_PG_PREPARE. */
const SWITCH_WORDS: Record<string, boolean> = {
  on: true,
  true: true,
  yes: true,
  "1": true,
  off: false,
  false: false,
  no: false,
  "0": false,
};
const switchSchema = z
  .string()
  .transform((value) => SWITCH_WORDS[value.trim().toLowerCase()])
  .refine(
    (value) => value !== undefined,
    "must be on or off (or true/false, yes/no, 1/0)",
  )
  .transform((value) => value === true);
const levelSchema = z.enum([
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
]);

/** Reads `.env` from the working directory into `env` without overriding. */
export function loadDotEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(".env")) return;
  dotenv.config({ path: ".env", processEnv: env, quiet: true });
}

function check<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message ?? "is invalid";
  throw new ConfigError(`${name}: ${message}`);
}

function pick(
  flag: string | undefined,
  flagName: string,
  env: string | undefined,
  envName: string,
): { value: string | undefined; name: string } {
  if (flag !== undefined) return { value: flag, name: flagName };
  return { value: env === "" ? undefined : env, name: envName };
}

/**
 * Builds the configuration from `env` and `flags`.
 * Throws ConfigError naming the variable or flag at fault.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
): Config {
  const redis = pick(flags.redisUrl, "--redis-url", env.REDIS_URL, "REDIS_URL");
  const rest = pick(
    flags.redisRestUrl,
    "--redis-rest-url",
    env.REDIS_REST_URL,
    "REDIS_REST_URL",
  );
  const cluster = pick(
    flags.redisClusterNodes,
    "--redis-cluster-nodes",
    env.REDIS_CLUSTER_NODES,
    "REDIS_CLUSTER_NODES",
  );
  const db = pick(
    flags.databaseUrl,
    "--database-url",
    env.DATABASE_URL_BATCH,
    "DATABASE_URL_BATCH",
  );
  const prefix = pick(
    flags.prefix,
    "--prefix",
    env.BATCH_QUEUE_PREFIX,
    "BATCH_QUEUE_PREFIX",
  );
  const level = pick(flags.logLevel, "--log-level", env.LOG_LEVEL, "LOG_LEVEL");

  registerUrlSecrets(redis.value);
  registerUrlSecrets(rest.value);
  registerUrlSecrets(db.value);
  // The rest of the environment's secrets too (a .env file read since the
  // start: DATABASE_URL_ADMIN, PGPASSWORD).
  registerStartupSecrets(env, []);

  const config: Config = {
    redisUrl: check(
      redisUrlSchema,
      redis.value ?? DEFAULT_REDIS_URL,
      redis.name,
    ),
    redisRest: undefined,
    redisCluster:
      cluster.value === undefined
        ? undefined
        : parseClusterNodes(cluster.value, cluster.name),
    databaseUrl:
      db.value === undefined
        ? undefined
        : check(databaseUrlSchema, db.value, db.name),
    pgliteDir: env.BATCH_PGLITE_DIR || DEFAULT_PGLITE_DIR,
    // Unset, empty or blank (a `BATCH_PG_PREPARE= ` line): the default.
    pgPrepare: check(
      switchSchema,
      env.BATCH_PG_PREPARE?.trim() || "on",
      "BATCH_PG_PREPARE",
    ),
    prefix: check(prefixSchema, prefix.value ?? DEFAULT_PREFIX, prefix.name),
    functions: { ...DEFAULT_FUNCTIONS },
    production: env.NODE_ENV === "production",
    logLevel: check(levelSchema, level.value ?? "info", level.name),
  };

  if (config.redisCluster && rest.value !== undefined) {
    throw new ConfigError(
      `${cluster.name}: cannot be used with ${rest.name}; choose one way to reach Redis`,
    );
  }
  if (config.redisCluster) checkClusterPrefix(config.prefix, prefix.name);
  if (rest.value !== undefined) {
    const token = env.REDIS_REST_TOKEN;
    if (!token) {
      throw new ConfigError(
        `REDIS_REST_TOKEN: is required when ${rest.name} is set`,
      );
    }
    // An HTTP header cannot carry these; fetch's own error would quote
    // the whole header, token included.
    if (!TOKEN_PATTERN.test(token)) {
      throw new ConfigError(
        "REDIS_REST_TOKEN: must be printable ASCII without spaces (a stray newline or quote?)",
      );
    }
    config.redisRest = {
      url: check(restUrlSchema, rest.value, rest.name),
      token,
    };
  }

  for (const tipo of FUNCTION_TIPOS) {
    const name = `BATCH_FN_${tipo.toUpperCase()}`;
    const value = env[name];
    if (value) config.functions[tipo] = check(functionSchema, value, name);
  }
  return config;
}

/**
 * Refuses a prefix that would spread the queue over several hash slots,
 * showing the prefix to use; `name` is where the prefix came from.
 */
function checkClusterPrefix(prefix: string, name: string): void {
  const issue = clusterPrefixIssue(prefix);
  if (!issue) return;
  const fixed =
    name === "--prefix"
      ? `--prefix '${issue.fixed}'`
      : `${name}='${issue.fixed}'`;
  throw new ConfigError(
    `${name}: ${prefix} ${issue.reason}; use ${fixed} (and the same prefix in producers)`,
  );
}
