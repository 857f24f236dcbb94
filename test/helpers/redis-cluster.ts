/**
 * A private Redis Cluster of three masters for tests: three `redis-server`
 * processes with `--cluster-enabled yes` on free ports in a temporary
 * directory, joined with `redis-cli --cluster create`, ready once every
 * node's `cluster info` says `cluster_state:ok`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/** Masters of the test cluster. */
const MASTERS = 3;
/** Longest wait for the nodes to start and the cluster to agree. */
const READY_TIMEOUT_MS = 20_000;

/** A running cluster. */
export interface PrivateCluster {
  ports: number[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_CLUSTER_NODES. */
  nodes: string;
  dir: string;
  /** Runs `redis-cli -p port args...` and returns its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master that owns hash slot `slot`. */
  ownerOf(slot: number): Promise<number>;
  /** SIGKILLs the node on `port` (its data is gone: nothing is saved). */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again; waits until every node says ok. */
  restart(port: number): Promise<void>;
  /** Empties every master. */
  flush(): Promise<void>;
  /** Stops every node and deletes the directory. Never throws. */
  destroy(): Promise<void>;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    ...args,
  ]);
  return stdout;
}

async function until(
  check: () => Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`test cluster: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts and joins a three-master cluster. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = await mkdtemp(join(tmpdir(), "batchctl-cluster-"));
  const ports: number[] = [];
  while (ports.length < MASTERS) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: keep it free too.
    if (port + 10_000 < 65_536 && !ports.includes(port)) ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const spawnNode = (port: number) =>
    children.set(
      port,
      spawn(
        "redis-server",
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--save",
          "",
          "--appendonly",
          "no",
          "--loglevel",
          "warning",
        ],
        { stdio: "ignore" },
      ),
    );
  const kill = (port: number) =>
    new Promise<void>((resolve) => {
      const child = children.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        return resolve();
      }
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  const destroy = async () => {
    await Promise.all(ports.map(kill));
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const isOk = async (port: number) =>
    (await redisCli(port, "CLUSTER", "INFO")).includes("cluster_state:ok");

  try {
    for (const port of ports) spawnNode(port);
    for (const port of ports) {
      await until(
        async () => (await redisCli(port, "PING")).trim() === "PONG",
        `node ${port} did not answer PING`,
      );
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports) {
      await until(
        () => isOk(port),
        `node ${port}: cluster_state never became ok`,
      );
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  // The slots stay where `--cluster create` put them: read them once.
  let ranges: Promise<[number, number, [string, number]][]> | undefined;
  return {
    ports,
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(","),
    dir,
    cli: redisCli,
    async ownerOf(slot) {
      ranges ??= redisCli(ports[0]!, "--json", "CLUSTER", "SLOTS").then(
        (reply) => JSON.parse(reply) as [number, number, [string, number]][],
      );
      const range = (await ranges).find(
        ([from, to]) => slot >= from && slot <= to,
      );
      if (!range) throw new Error(`test cluster: nobody owns slot ${slot}`);
      return Number(range[2][1]);
    },
    kill,
    async restart(port) {
      await kill(port);
      spawnNode(port);
      for (const node of ports) {
        await until(() => isOk(node), `node ${node}: not ok after restart`);
      }
    },
    async flush() {
      await Promise.all(ports.map((port) => redisCli(port, "FLUSHALL")));
    },
    destroy,
  };
}
