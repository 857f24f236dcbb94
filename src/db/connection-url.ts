/**
 * Reading postgres:// URLs without ever echoing their password.
 */
import { ConfigError } from "../common/errors.js";
import { registerUrlSecrets } from "../common/redact.js";

/** The parts of a connection URL batchctl shows or changes. */
export interface PostgresUrl {
  /** The URL as given, password included: only for the driver. */
  readonly href: string;
  /** Database name: the path, else the user name, as libpq defaults. */
  readonly database: string;
  /** `user@host:port/db`, safe for logs and reports. */
  readonly description: string;
}

/** libpq's defaults for parts a URL leaves out. */
const DEFAULT_HOST = "localhost";
const DEFAULT_PORT = "5432";
const DEFAULT_USER = "postgres";

/**
 * Parses a postgres:// or postgresql:// URL and registers its password
 * with the shared redactor. Throws ConfigError (without the URL, which may
 * hold a password) when it is not such a URL.
 */
export function parsePostgresUrl(url: string): PostgresUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      "database URL is not a URL such as postgresql://user@host/db",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new ConfigError(
      "database URL must start with postgresql:// or postgres://",
    );
  }
  registerUrlSecrets(url);

  const user = decodeURIComponent(parsed.username) || DEFAULT_USER;
  const database = decodeURIComponent(parsed.pathname.slice(1)) || user;
  const host = parsed.hostname || DEFAULT_HOST;
  const port = parsed.port || DEFAULT_PORT;

  return {
    href: url,
    database,
    description: `${user}@${host}:${port}/${database}`,
  };
}

/** Returns `url` pointing at database `name` on the same server. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}
