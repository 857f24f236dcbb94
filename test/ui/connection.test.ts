/**
 * Redis lost under a running TUI: it stays up, says so in the header, and
 * recovers by itself once Redis answers again (persistent transport).
 */
import { afterAll, describe, expect, it } from "vitest";
import { createKeys } from "../../src/queue/index.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";
import { createConnectionEvents } from "../../src/ui/index.js";
import { createQueueSource } from "../../src/ui/queue-source.js";
import { createTestQueue, waitFor } from "../helpers/redis.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import { failureRecord, pushFailures, renderTui } from "../helpers/ui.js";

const queue = createTestQueue("ui-connection");

afterAll(async () => {
  await queue.cleanup();
  await queue.transport.close();
});

describe("tui connection loss", () => {
  it("stays up while Redis is away, says so, and recovers by itself", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const events = createConnectionEvents();
    const transport = createTcpTransport({
      url: `redis://127.0.0.1:${proxy.port}`,
      persistent: true,
      onLost: (reason) => events.emit(false, reason),
      onRestored: () => events.emit(true),
    });
    const viaProxy = { transport, keys: createKeys(queue.keys.prefix) };
    const source = {
      ...createQueueSource(viaProxy, { isReadOnly: false }),
      watchConnection: events.subscribe,
    };
    await pushFailures(queue, failureRecord("before-cut"));
    const tui = renderTui(viaProxy, { source, initialList: "fallidas" });
    try {
      await tui.waitFor("before-c");
      await proxy.cut();
      const lost = await tui.waitFor("Redis lost");
      expect(lost).toContain("reconnecting");
      expect(lost).toContain("before-c"); // the last rows stay on screen

      await pushFailures(queue, failureRecord("during-cut"));
      await proxy.restore();
      const back = await tui.waitFor(
        (f) => f.includes("● connected") && f.includes("during-c"),
        20_000,
      );
      expect(back).toContain("6 fallidas 2");
    } finally {
      tui.unmount();
      await transport.close();
      await proxy.close();
    }
  });

  it.each([
    ["lost", true],
    ["never reached", false],
  ])(
    "quits at once while Redis is %s (no QUIT waiting for it)",
    async (_, wasUp) => {
      const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
      let isLost = false;
      const transport = createTcpTransport({
        url: `redis://127.0.0.1:${proxy.port}`,
        persistent: true,
        onLost: () => (isLost = true),
      });
      try {
        if (wasUp) await transport.command("PING");
        await proxy.cut();
        await waitFor(async () => isLost, 10_000, "the connection lost");

        // A refresh still waiting for Redis, as the TUI leaves one.
        void transport.command("PING").catch(() => undefined);
        const closing = transport.close().then(() => "closed");
        const timeout = new Promise((r) => setTimeout(() => r("hung"), 3000));

        expect(await Promise.race([closing, timeout])).toBe("closed");
      } finally {
        await proxy.close();
      }
    },
  );
});
