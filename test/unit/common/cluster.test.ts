import { describe, expect, it } from "vitest";
import {
  clusterPrefixIssue,
  hashTagOf,
  parseClusterNodes,
} from "../../../src/common/cluster.js";
import { loadConfig } from "../../../src/common/config.js";
import { ConfigError, EXIT } from "../../../src/common/errors.js";
import { redact, registerStartupSecrets } from "../../../src/common/redact.js";

const NODES = "10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3:7002";

function errorOf(env: NodeJS.ProcessEnv, flags = {}): ConfigError {
  try {
    loadConfig(env, flags);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("loadConfig accepted it");
}

describe("parseClusterNodes", () => {
  it("reads host:port entries separated by commas", () => {
    expect(parseClusterNodes(NODES, "REDIS_CLUSTER_NODES")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
        { host: "10.0.0.3", port: 7002 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
  });

  it("takes credentials and TLS from URL entries, for every node", () => {
    const value = "rediss://app:pw%21x@a.example:7000,rediss://b.example";
    expect(parseClusterNodes(value, "X")).toEqual({
      nodes: [
        { host: "a.example", port: 7000 },
        { host: "b.example", port: 6379 },
      ],
      username: "app",
      password: "pw!x",
      tls: true,
    });
  });

  it("reads IPv6 hosts in brackets", () => {
    expect(parseClusterNodes("[::1]:7000", "X").nodes).toEqual([
      { host: "::1", port: 7000 },
    ]);
  });

  it.each([
    ["", "must list host:port of at least one node"],
    [" , ", "must list host:port of at least one node"],
    ["http://a:1", "each node must be host:port"],
    ["a:notaport", "each node must be host:port"],
    ["redis://a:1/2", "each node must be host:port"],
    ["redis://:one@a:1,redis://:two@b:1", "different credentials"],
    ["redis://a:1,rediss://b:1", "mixes redis:// and rediss://"],
  ])("refuses %j with one line naming the variable", (value, expected) => {
    let message = "";
    try {
      parseClusterNodes(value, "REDIS_CLUSTER_NODES");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^REDIS_CLUSTER_NODES: /);
    expect(message).toContain(expected);
    expect(message).not.toContain("\n");
  });

  it("never echoes a password in an error, and registers it for redaction", () => {
    let message = "";
    try {
      parseClusterNodes("redis://:Zq9secret@a:1,redis://:other@b:x", "X");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/Zq9secret|other/);
    parseClusterNodes("redis://:Zq9secret@a:1", "X");
    expect(redact("auth Zq9secret failed")).toBe("auth *** failed");
  });
});

describe("secrets in a node list", () => {
  it("are hidden from the start, from the variable and from a flag", () => {
    registerStartupSecrets(
      { REDIS_CLUSTER_NODES: "redis://:Kp3first@a:1,redis://:Kp3first@b:2" },
      ["--redis-cluster-nodes=rediss://app:Kp3second@c:1,d:2"],
    );

    expect(redact("a Kp3first b Kp3second")).toBe("a *** b ***");
  });
});

describe("hashTagOf", () => {
  it.each([
    ["{cola:batch}:procesar", "cola:batch"],
    ["app:{cola}:procesar", "cola"],
    ["a}{b}:x", "b"],
    ["{}{a}:x", undefined],
    ["{cola:procesar", undefined],
    ["cola:batch:procesar", undefined],
  ])("of %j is %j (Redis's rule)", (key, tag) => {
    expect(hashTagOf(key)).toBe(tag);
  });
});

describe("clusterPrefixIssue", () => {
  it.each([
    ["cola:batch", "{cola:batch}"],
    ["cola:{}batch", "{cola:batch}"],
    ["{cola:batch", "{cola:batch}"],
  ])("refuses %j and suggests %j", (prefix, fixed) => {
    expect(clusterPrefixIssue(prefix)?.fixed).toBe(fixed);
    expect(clusterPrefixIssue(fixed)).toBeUndefined();
  });

  it("accepts a prefix with a hash tag anywhere", () => {
    expect(clusterPrefixIssue("app:{cola}:batch")).toBeUndefined();
  });
});

describe("loadConfig with a Redis Cluster", () => {
  it("reads REDIS_CLUSTER_NODES, and the flag over it", () => {
    const env = { REDIS_CLUSTER_NODES: NODES, BATCH_QUEUE_PREFIX: "{q}" };
    expect(loadConfig(env).redisCluster?.nodes).toHaveLength(3);
    const flagged = loadConfig(env, { redisClusterNodes: "h:1" });
    expect(flagged.redisCluster?.nodes).toEqual([{ host: "h", port: 1 }]);
    expect(loadConfig({}).redisCluster).toBeUndefined();
  });

  it("refuses the default prefix, showing the one to use", () => {
    const error = errorOf({ REDIS_CLUSTER_NODES: NODES });
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toMatch(
      /^BATCH_QUEUE_PREFIX: cola:batch has no hash tag; /,
    );
    expect(error.message).toContain("one slot");
    expect(error.message).toContain("use BATCH_QUEUE_PREFIX='{cola:batch}'");
    expect(error.message).not.toContain("\n");
  });

  it("names the flag when the prefix came from --prefix", () => {
    const error = errorOf({ REDIS_CLUSTER_NODES: NODES }, { prefix: "jobs" });
    expect(error.message).toMatch(/^--prefix: jobs has no hash tag/);
    expect(error.message).toContain("use --prefix '{jobs}'");
  });

  it("accepts the same prefix without a cluster", () => {
    expect(loadConfig({ BATCH_QUEUE_PREFIX: "cola:batch" }).prefix).toBe(
      "cola:batch",
    );
  });

  it("refuses a cluster together with REST", () => {
    const error = errorOf({
      REDIS_CLUSTER_NODES: NODES,
      BATCH_QUEUE_PREFIX: "{q}",
      REDIS_REST_URL: "https://r.example",
      REDIS_REST_TOKEN: "t0ken",
    });
    expect(error.message).toBe(
      "REDIS_CLUSTER_NODES: cannot be used with REDIS_REST_URL; choose one way to reach Redis",
    );
  });
});
