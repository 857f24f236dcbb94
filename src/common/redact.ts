/**
 * Secrets (URL passwords, the REST token) are registered once, when the
 * configuration is read (and, earlier still, from the environment and the
 * command line as the program starts), and scrubbed from every log line,
 * error message and byte written to stdout or stderr.
 */
const secrets = new Set<string>();
/** `secrets`, longest first: a secret that contains another is hidden whole. */
let ordered: string[] = [];

/** Shortest secret worth scrubbing; shorter ones would mangle normal text. */
const MIN_SECRET_LENGTH = 3;

/**
 * Query parameters that carry a secret in a connection URL: libpq's
 * `password` and `sslpassword`, Upstash's `_token`, and the usual others.
 */
const SECRET_PARAMS =
  /^(_?token|access_token|password|sslpassword|pass|pwd|secret|api_?key|auth)$/i;

/**
 * Variables whose values are, or may hold, a secret: every connection URL
 * batchctl reads, the REST token, and the password libpq falls back to.
 */
export const SECRET_VARIABLES = [
  "REDIS_URL",
  "REDIS_REST_URL",
  "REDIS_REST_TOKEN",
  "REDIS_CLUSTER_NODES",
  "DATABASE_URL_BATCH",
  "DATABASE_URL_ADMIN",
  "PGPASSWORD",
] as const;

/**
 * Remembers a secret so that `redact` hides it from now on, in the forms
 * it may take in output: as given, percent-decoded (a URL password), and
 * escaped as inside a JSON string (a log line).
 */
export function registerSecret(secret: string | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return;
  const decoded = safeDecode(secret);
  for (const form of [secret, decoded]) {
    for (const variant of [form, JSON.stringify(form).slice(1, -1)]) {
      if (variant.length >= MIN_SECRET_LENGTH) secrets.add(variant);
    }
  }
  ordered = [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * Registers the secrets of a connection URL: its password and the values
 * of query parameters such as `password=` or `_token=`. Text that is not
 * a URL registers nothing (the config validation reports it).
 */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  registerSecret(parsed.password);
  // Raw pairs, not searchParams: the value as written (percent-encoded) is
  // what would be printed; registerSecret adds its decoded form.
  for (const pair of parsed.search.slice(1).split("&")) {
    const [name = "", value] = pair.split("=", 2);
    if (SECRET_PARAMS.test(safeDecode(name))) {
      registerSecret(value);
      registerSecret(value?.replaceAll("+", " "));
    }
  }
}

/**
 * Registers the secrets of the variables in SECRET_VARIABLES and of every
 * URL-looking command-line argument (`--database-url=postgres://u:pw@h`
 * included), so that even a usage error printed before the configuration
 * is read cannot show one.
 */
export function registerStartupSecrets(
  env: NodeJS.ProcessEnv,
  argv: string[],
): void {
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (name === "REDIS_REST_TOKEN" || name === "PGPASSWORD") {
      registerSecret(value);
    } else {
      registerUrlListSecrets(value);
    }
  }
  for (const arg of argv) {
    const at = arg.indexOf("://");
    if (at < 0) continue;
    const start = arg.lastIndexOf("=", at) + 1;
    registerUrlListSecrets(arg.slice(start));
  }
}

/**
 * A URL, or a comma-separated list of them (REDIS_CLUSTER_NODES): the
 * whole text is tried too, since a password may itself hold a comma.
 */
function registerUrlListSecrets(text: string | undefined): void {
  if (!text) return;
  for (const part of new Set([text, ...text.split(",")])) {
    registerUrlSecrets(part.trim());
  }
}

/** Returns `text` with every registered secret replaced by `***`. */
export function redact(text: string): string {
  let result = text;
  for (const secret of ordered) {
    if (result.includes(secret)) result = result.split(secret).join("***");
  }
  return result;
}

/** True once at least one secret is registered. */
export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/**
 * Makes every write to `stream` (stdout, stderr) pass through `redact`:
 * the last guard, for text that reached the stream by a path that forgot
 * to redact (a library's message, a printed record). Buffers without a
 * secret pass unchanged, so no multi-byte character is ever split.
 */
export function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (secrets.size === 0) return write(chunk, ...rest);
    if (typeof chunk === "string") return write(redact(chunk), ...rest);
    if (chunk instanceof Uint8Array && holdsSecret(Buffer.from(chunk))) {
      return write(redact(Buffer.from(chunk).toString("utf8")), ...rest);
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

function holdsSecret(bytes: Buffer): boolean {
  for (const secret of secrets) if (bytes.includes(secret)) return true;
  return false;
}

/** A URL with its password and secret parameters masked, for display. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    for (const name of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAMS.test(name)) parsed.searchParams.set(name, "***");
    }
    return parsed.toString();
  } catch {
    return redact(url);
  }
}

/** A URL reduced to its host (and port), for logs and `stats`. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
