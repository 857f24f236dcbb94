/**
 * Reading a worker's HTTP endpoint from tests: GET with a status, the
 * Prometheus text as samples, and the port a worker logged.
 */
import { request } from "node:http";

/** One sample of the exposition text. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** GETs `http://127.0.0.1:<port><path>`; resolves with status and body. */
export function httpGet(
  port: number,
  path: string,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "GET", timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Parses the text format (no escapes inside label values are needed here). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the one sample of `name` whose labels include `labels`;
 * undefined when there is none. Throws when several match.
 */
export function metricValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}`);
  return found[0]?.value;
}

/** The port of a worker's "metrics endpoint listening" log line, if logged. */
export function loggedMetricsPort(lines: string[]): number | undefined {
  for (const line of lines) {
    if (!line.includes("metrics endpoint listening")) continue;
    return (JSON.parse(line) as { port: number }).port;
  }
  return undefined;
}
