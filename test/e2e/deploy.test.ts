/**
 * deploy/ against the code: the manifests parse, and they name the ports,
 * flags and probe paths the worker really has (imported from the source,
 * so a rename breaks this test), with a grace period longer than the
 * shutdown timeout they give. Every flag they pass is one `work --help`
 * lists, and their schedules parse.
 */
import { readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { WORK_ENV, WORK_FLAGS } from "../../src/commands/work-ops.js";
import { parseScheduleFile } from "../../src/common/schedule.js";
import { createKeys } from "../../src/queue/index.js";
import {
  DEFAULT_METRICS_PORT,
  HEALTH_PATH,
  METRICS_PATH,
  READY_PATH,
} from "../../src/worker/index.js";
import { runCli } from "../helpers/cli.js";

const DEPLOY = new URL("../../deploy/", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, DEPLOY), "utf8");

/** Every document of a manifest file, as plain objects. */
function manifests(path: string): any[] {
  return parseAllDocuments(read(path)).map((doc) => {
    expect(doc.errors, path).toEqual([]);
    return doc.toJS();
  });
}

/** The value of `--name=value` or `--name value` in an argument list. */
function flagValue(args: string[], name: string): string | undefined {
  const at = args.findIndex(
    (a) => a === `--${name}` || a.startsWith(`--${name}=`),
  );
  if (at < 0) return undefined;
  const arg = args[at]!;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[at + 1];
}

const flagsOf = (args: string[]) =>
  args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]!);

describe("deploy/", () => {
  let workHelp = "";
  const k8s = (file: string, kind: string) =>
    manifests(`kubernetes/${file}`).filter((m) => m.kind === kind);

  beforeAll(async () => {
    const help = await runCli(["work", "--help"]);
    expect(help.code).toBe(0);
    workHelp = help.stdout;
  });

  it("lists only files that exist in kustomization.yaml, and they all parse", () => {
    const [kustomization] = manifests("kubernetes/kustomization.yaml");
    const files = readdirSync(new URL("kubernetes/", DEPLOY)).filter((f) =>
      f.endsWith(".yaml"),
    );

    for (const resource of kustomization.resources)
      expect(files).toContain(resource);
    for (const file of files) {
      for (const doc of manifests(`kubernetes/${file}`)) {
        expect(doc, file).toMatchObject({
          apiVersion: expect.any(String),
          kind: expect.any(String),
        });
      }
    }
  });

  it("runs the worker in the Deployment with the code's port, probe paths and flags", () => {
    const [deployment] = k8s("deployment.yaml", "Deployment");
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    const args: string[] = container.args;
    const port = container.ports.find((p: any) => p.name === "metrics");

    expect(args[0]).toBe("work");
    for (const flag of flagsOf(args)) expect(workHelp).toContain(`--${flag}`);
    expect(Number(flagValue(args, WORK_FLAGS.metricsPort))).toBe(
      DEFAULT_METRICS_PORT,
    );
    expect(port.containerPort).toBe(DEFAULT_METRICS_PORT);
    expect(container.readinessProbe.httpGet).toEqual({
      path: READY_PATH,
      port: "metrics",
    });
    expect(container.livenessProbe.httpGet).toEqual({
      path: HEALTH_PATH,
      port: "metrics",
    });
    expect(pod.metadata.annotations).toMatchObject({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(DEFAULT_METRICS_PORT),
      "prometheus.io/path": METRICS_PATH,
    });
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
  });

  it("gives the Deployment a grace period longer than its --shutdown-timeout", () => {
    const [deployment] = k8s("deployment.yaml", "Deployment");
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    const timeout = Number(flagValue(args, WORK_FLAGS.shutdownTimeout));

    expect(timeout).toBeGreaterThan(0);
    expect(
      deployment.spec.template.spec.terminationGracePeriodSeconds,
    ).toBeGreaterThan(timeout);
  });

  it("mounts schedules that parse where --schedule-file reads them", () => {
    const [deployment] = k8s("deployment.yaml", "Deployment");
    const spec = deployment.spec.template.spec;
    const file = flagValue(spec.containers[0].args, WORK_FLAGS.scheduleFile)!;
    const mount = spec.containers[0].volumeMounts.find((m: any) =>
      file.startsWith(`${m.mountPath}/`),
    );
    const volume = spec.volumes.find((v: any) => v.name === mount.name);
    const item = volume.configMap.items.find(
      (i: any) => `${mount.mountPath}/${i.path}` === file,
    );
    const map = k8s("configmap.yaml", "ConfigMap").find(
      (m) => m.metadata.name === volume.configMap.name,
    );

    const schedules = parseScheduleFile(map.data[item.key], file);
    expect(schedules.map((s) => s.name)).toEqual([
      "procesar_tickets_vencidos",
      "generar_reporte",
    ]);
  });

  it("scrapes the metrics port through the Service and ServiceMonitor", () => {
    const [service] = k8s("service.yaml", "Service");
    const [monitor] = k8s("servicemonitor.yaml", "ServiceMonitor");

    expect(service.spec.ports).toEqual([
      { name: "metrics", port: DEFAULT_METRICS_PORT, targetPort: "metrics" },
    ]);
    expect(monitor.spec.endpoints[0]).toMatchObject({
      port: "metrics",
      path: METRICS_PATH,
    });
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels);
  });

  it("scales the Deployment on the length of the queue's procesar list", () => {
    const [deployment] = k8s("deployment.yaml", "Deployment");
    const [scaled] = k8s("keda-scaledobject.yaml", "ScaledObject");
    const config = k8s("configmap.yaml", "ConfigMap").find(
      (m) => m.metadata.name === "batchctl-worker",
    );
    const [trigger] = scaled.spec.triggers;

    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(trigger.type).toBe("redis");
    expect(trigger.metadata.listName).toBe(
      createKeys(config.data.BATCH_QUEUE_PREFIX).pending,
    );
    expect(Number(trigger.metadata.listLength)).toBeGreaterThan(0);
  });

  it("runs the systemd unit with the same port and a longer stop timeout", () => {
    const unit = read("systemd/batchctl-worker.service");
    const setting = (name: string) =>
      new RegExp(`^${name}=(.*)$`, "m").exec(unit)?.[1] ?? "";
    const args = setting("ExecStart").split(/\s+/);

    expect(args.slice(0, 3)).toEqual([
      "/usr/bin/node",
      "dist/src/cli.js",
      "work",
    ]);
    for (const flag of flagsOf(args)) expect(workHelp).toContain(`--${flag}`);
    expect(Number(flagValue(args, WORK_FLAGS.metricsPort))).toBe(
      DEFAULT_METRICS_PORT,
    );
    const timeout = Number(flagValue(args, WORK_FLAGS.shutdownTimeout));
    expect(Number(setting("TimeoutStopSec"))).toBeGreaterThan(timeout);
    expect(setting("KillSignal")).toBe("SIGTERM");
    expect(setting("User")).not.toBe("root");
    expect(
      parseScheduleFile(read("systemd/schedules"), "schedules"),
    ).toHaveLength(2);
  });

  it("documents each variable of work's operations in env.example", () => {
    const example = readFileSync(new URL("../env.example", DEPLOY), "utf8");

    for (const name of Object.values(WORK_ENV)) {
      expect(example).toMatch(new RegExp(`^# ${name}=`, "m"));
    }
  });

  it("builds in two stages and runs as a non-root user on the code's port", () => {
    const dockerfile = read("Dockerfile");
    const lines = dockerfile.split("\n");
    const runtime = lines.slice(
      lines.findLastIndex((l) => l.startsWith("FROM ")),
    );
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!) as string[];

    expect(lines.filter((l) => l.startsWith("FROM "))).toHaveLength(2);
    expect(runtime).toContain(
      "RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force",
    );
    expect(runtime).toContain("USER node");
    expect(runtime).toContain(`EXPOSE ${DEFAULT_METRICS_PORT}`);
    expect(dockerfile).toContain(
      `http://127.0.0.1:${DEFAULT_METRICS_PORT}${HEALTH_PATH}`,
    );
    expect(cmd[0]).toBe("work");
    for (const flag of flagsOf(cmd)) expect(workHelp).toContain(`--${flag}`);
    expect(Number(flagValue(cmd, WORK_FLAGS.metricsPort))).toBe(
      DEFAULT_METRICS_PORT,
    );
  });
});
