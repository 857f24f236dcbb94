/**
 * The worker's HTTP endpoint (`--metrics-port`): Prometheus metrics,
 * liveness and readiness. node:http, GET and HEAD only.
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { toError } from "../../common/errors.js";
import type { Logger } from "../../common/logger.js";
import type { WorkerMetrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";

/** Paths of the endpoint; deploy/ manifests name the same. */
export const METRICS_PATH = "/metrics";
export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";
/** The port deploy/ uses (the usual one of Prometheus exporters in Node). */
export const DEFAULT_METRICS_PORT = 9464;
/** Every interface, so Prometheus and the kubelet reach it in a pod. */
export const DEFAULT_METRICS_HOST = "0.0.0.0";

/** Options of `startOpsServer`. */
export interface OpsServerOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  metrics: WorkerMetrics;
  readiness: Readiness;
  logger: Logger;
}

/** A listening endpoint. */
export interface OpsServer {
  /** The port it listens on (the one picked when asked for 0). */
  port: number;
  /** Stops listening and closes open connections; safe twice. */
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/**
 * Starts the endpoint and resolves once it listens. Throws (rejects) when
 * the port cannot be bound, e.g. EADDRINUSE.
 */
export async function startOpsServer(
  options: OpsServerOptions,
): Promise<OpsServer> {
  const { metrics, readiness, logger } = options;
  const json = "application/json; charset=utf-8";

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send(res, 405, "text/plain", "method not allowed\n");
    }
    if (path === HEALTH_PATH) return send(res, 200, "text/plain", "ok\n");
    if (path === READY_PATH) {
      const report = await readiness.check();
      return send(
        res,
        report.ready ? 200 : 503,
        json,
        JSON.stringify(report) + "\n",
      );
    }
    if (path === METRICS_PATH) {
      return send(res, 200, metrics.contentType, await metrics.render());
    }
    send(
      res,
      404,
      "text/plain",
      `not found; try ${METRICS_PATH}, ${HEALTH_PATH}, ${READY_PATH}\n`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.warn(
        { err: toError(error), url: req.url },
        "metrics endpoint failed",
      );
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
