/**
 * Failures grouped by tipo, class and message; R / D act on a whole group.
 */
import { Box, Text } from "ink";
import type { GroupsResult } from "./data.js";
import { fit, formatAge, formatCount } from "./format.js";

interface GroupsViewProps {
  result: GroupsResult | undefined;
  cursor: number;
  width: number;
  height: number;
  now: number;
}

export function GroupsView({
  result,
  cursor,
  width,
  height,
  now,
}: GroupsViewProps) {
  if (!result) return <Text dimColor> grouping failures…</Text>;
  const body = Math.max(1, height - 2);
  const top = Math.max(0, cursor - body + 1);
  const plural = (n: number, word: string) =>
    `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
  const of =
    result.scanned < result.total
      ? `newest ${formatCount(result.scanned)} of ${plural(result.total, "failure")}`
      : plural(result.total, "failure");

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Failure groups</Text>
        <Text dimColor>
          {" "}
          · {plural(result.groups.length, "group")} in {of}
        </Text>
      </Text>
      <Text dimColor wrap="truncate">
        {"  "}
        {"count".padStart(7)} {fit("tipo", 25)} {fit("clase", 11)}{" "}
        {fit("last", 5)} message
      </Text>
      {result.groups.length === 0 ? <Text dimColor> no failures</Text> : null}
      {result.groups.slice(top, top + body).map((group, i) => {
        const index = top + i;
        const line = [
          formatCount(group.count).padStart(7),
          fit(group.tipo ?? "(none)", 25),
          fit(group.clase, 11),
          fit(formatAge(group.last_seen, now), 5),
          group.mensaje,
        ].join(" ");
        return (
          <Text key={index} inverse={index === cursor} wrap="truncate">
            {index === cursor ? "›" : " "} {fit(line, width - 3)}
          </Text>
        );
      })}
    </Box>
  );
}
