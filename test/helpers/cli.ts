/**
 * Runs the built `batchctl` binary (dist/, built by `npm test`) as a user
 * would, against the real services.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(
  new URL("../../dist/src/cli.js", import.meta.url),
);

if (!existsSync(CLI)) {
  throw new Error(`${CLI} is missing: run 'npm run build' (npm test does it)`);
}

/** The outcome of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `batchctl args...` to completion (in `cwd`, default this one's). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string | Buffer,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env, cwd);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Starts `batchctl args...` and returns the child process. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** The environment minus anything that would point batchctl elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(REDIS_|DATABASE_URL|BATCH_|NODE_ENV$|LOG_LEVEL$)/.test(name)) {
      delete env[name];
    }
  }
  return env;
}

/** Resolves with the exit code once the child exits. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

/** Collects stdout lines (JSON logs) of a child as they arrive. */
export function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  });
  return lines;
}
