/**
 * Secrets (URL passwords, the REST token) are registered once, when the
 * configuration is read, and scrubbed from every log line and error message.
 */
const secrets = new Set<string>();

/** Shortest secret worth scrubbing; shorter ones would mangle normal text. */
const MIN_SECRET_LENGTH = 3;

/** Remembers a secret so that `redact` hides it from now on. */
export function registerSecret(secret: string | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return;
  secrets.add(secret);
  const decoded = safeDecode(secret);
  if (decoded !== secret && decoded.length >= MIN_SECRET_LENGTH) {
    secrets.add(decoded);
  }
}

/** Registers the password of a connection URL, if it has one. */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    registerSecret(new URL(url).password);
  } catch {
    // Not a URL: the config validation reports it; nothing to register.
  }
}

/** Returns `text` with every registered secret replaced by `***`. */
export function redact(text: string): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join("***");
  }
  return result;
}

/** A URL with its password masked, for display. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
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
