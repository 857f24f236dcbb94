/**
 * The header: where we are, the connection, workers, throughput, and one
 * tab per list with its count.
 */
import { Box, Text } from "ink";
import { printable } from "../common/printable.js";
import { LIST_NAMES, type ListName, type QueueStats } from "../queue/index.js";
import {
  formatCount,
  formatDuration,
  formatRate,
  sparkline,
} from "./format.js";
import { rateBuckets, type State } from "./state.js";

interface HeaderProps {
  state: State;
  target: string;
  prefix: string;
  width: number;
  isReadOnly: boolean;
  now: number;
}

/** Sparkline buckets: 18 of 10 s = the last 3 minutes. */
const SPARK_BUCKETS = 18;
const SPARK_BUCKET_MS = 10_000;

function countOf(
  snapshot: QueueStats | undefined,
  list: ListName,
): number | undefined {
  return snapshot?.counts[list];
}

function compact(n: number): string {
  if (n < 10_000) return formatCount(n);
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/**
 * The schedules line: each schedule and how soon it runs next, soonest
 * first; undefined when no live worker runs one.
 */
export function schedulesLine(
  snapshot: QueueStats | undefined,
  now: number,
): string | undefined {
  const schedules = snapshot?.schedules ?? [];
  if (schedules.length === 0) return undefined;
  const next = (at: string | null) => (at === null ? Infinity : Date.parse(at));
  const parts = [...schedules]
    .sort((a, b) => next(a.next_run) - next(b.next_run))
    .map((s) => {
      const when =
        s.next_run === null
          ? "never"
          : `in ${formatDuration(Math.max(0, next(s.next_run) - now))}`;
      return `${s.name} ${when}`;
    });
  return `schedules: ${parts.join(" · ")}`;
}

/** The tab labels, compacted until they fit `width` (two rows at worst). */
export function tabRows(
  snapshot: QueueStats | undefined,
  width: number,
): { list: ListName; label: string }[][] {
  const make = (short: boolean) =>
    LIST_NAMES.map((list, i) => {
      const n = countOf(snapshot, list);
      const shown = n === undefined ? "…" : short ? compact(n) : formatCount(n);
      return { list, label: ` ${i + 1} ${list} ${shown} ` };
    });
  const length = (tabs: { label: string }[]) =>
    tabs.reduce((sum, tab) => sum + tab.label.length + 1, 0);
  // One row if it fits, else two; exact counts before compact ones.
  for (const short of [false, true]) {
    const tabs = make(short);
    if (length(tabs) <= width) return [tabs];
  }
  for (const short of [false, true]) {
    const rows = [make(short).slice(0, 3), make(short).slice(3)];
    if (rows.every((row) => length(row) <= width)) return rows;
  }
  const tabs = make(true);
  return [tabs.slice(0, 3), tabs.slice(3)];
}

export function Header({
  state,
  target,
  prefix,
  width,
  isReadOnly,
  now,
}: HeaderProps) {
  const { snapshot, connection } = state;
  // Wide terminals get a finer sparkline over the same three minutes.
  const fine = width >= 120 ? 2 : 1;
  const buckets = rateBuckets(
    state.samples,
    now,
    SPARK_BUCKETS * fine,
    SPARK_BUCKET_MS / fine,
  );
  const rate = state.samples.at(-1)?.rate ?? 0;
  const downFor = formatDuration(now - connection.since);
  const pause = snapshot?.pause.paused
    ? snapshot.pause.expires_in_ms
      ? `PAUSED ${formatDuration(snapshot.pause.expires_in_ms)} left`
      : "PAUSED"
    : undefined;
  const rows = tabRows(snapshot, width);
  const live = snapshot?.workers.filter((w) => w.alive).length;
  const dead = (snapshot?.workers.length ?? 0) - (live ?? 0);
  const oldest = snapshot?.oldest_pending_age_ms;
  const schedules = schedulesLine(snapshot, now);
  // REST plans bill per request: show what the workers send.
  const requests =
    snapshot && target.startsWith("rest ")
      ? Math.round(snapshot.requests_per_min)
      : undefined;

  return (
    <Box flexDirection="column" width={width}>
      <Box justifyContent="space-between">
        <Text wrap="truncate">
          <Text bold>batchctl</Text>
          <Text dimColor>
            {" "}
            {prefix} @ {target}
          </Text>
        </Text>
        <Text>
          {pause ? (
            <Text color="yellow" bold>
              {" "}
              {pause}{" "}
            </Text>
          ) : null}
          {state.isFrozen ? (
            <Text color="cyan" bold>
              {" "}
              FROZEN{" "}
            </Text>
          ) : null}
          {isReadOnly ? <Text color="magenta"> READ-ONLY </Text> : null}
        </Text>
      </Box>
      <Text wrap="truncate">
        {connection.isUp ? (
          <Text color="green">● connected </Text>
        ) : (
          <Text color="yellow" bold>
            ○ Redis lost {downFor} ago, reconnecting…{" "}
          </Text>
        )}
        <Text>workers </Text>
        <Text bold>{live ?? "…"}</Text>
        <Text dimColor> live{dead ? ` (${dead} dead)` : ""} </Text>
        <Text bold>{formatRate(rate).replace("/s", "")}</Text>
        <Text dimColor> tasks/s </Text>
        {requests !== undefined ? (
          <Text dimColor>{formatCount(requests)} req/min </Text>
        ) : null}
        <Text color="cyan">{sparkline(buckets)}</Text>
        <Text dimColor> last 3 min</Text>
        {oldest !== null && oldest !== undefined ? (
          <Text dimColor> · oldest pending {formatDuration(oldest)}</Text>
        ) : null}
      </Text>
      {schedules ? (
        <Text wrap="truncate" dimColor>
          {printable(schedules)}
        </Text>
      ) : null}
      {rows.map((tabs, r) => (
        <Text key={r} wrap="truncate">
          {tabs.map((tab) => {
            const isCurrent = tab.list === state.list;
            const isAlarm =
              tab.list === "fallidas" &&
              (countOf(snapshot, "fallidas") ?? 0) > 0;
            return (
              <Text key={tab.list}>
                <Text
                  inverse={isCurrent}
                  bold={isCurrent}
                  color={isAlarm ? "red" : undefined}
                >
                  {tab.label}
                </Text>{" "}
              </Text>
            );
          })}
        </Text>
      ))}
    </Box>
  );
}

/** How many lines the header takes at `width`. */
export function headerHeight(
  snapshot: QueueStats | undefined,
  width: number,
): number {
  const schedules = snapshot?.schedules.length ? 1 : 0;
  return 2 + schedules + tabRows(snapshot, width).length;
}
