/**
 * The help screen, built from the key table (src/ui/keys.ts).
 */
import { Box, Text } from "ink";
import { KEY_BINDINGS, keyLabel, type KeyBinding } from "./keys.js";

/** The help text, one line per binding, grouped. */
export function helpLines(isReadOnly: boolean): string[] {
  const groups = new Map<string, KeyBinding[]>();
  for (const binding of KEY_BINDINGS) {
    groups.set(binding.group, [...(groups.get(binding.group) ?? []), binding]);
  }
  const lines: string[] = [];
  for (const [group, bindings] of groups) {
    lines.push(group);
    for (const b of bindings) {
      const off = isReadOnly && b.isAction ? " (off: --read-only)" : "";
      const confirm = b.isConfirmed ? " [asks first]" : "";
      const where = b.views.includes("list")
        ? ""
        : ` (in ${b.views.join(", ")})`;
      lines.push(
        `  ${keyLabel(b).padEnd(10)} ${b.description}${where}${confirm}${off}`,
      );
    }
  }
  return lines;
}

interface HelpViewProps {
  isReadOnly: boolean;
  scroll: number;
  width: number;
  height: number;
}

export function HelpView({ isReadOnly, scroll, width, height }: HelpViewProps) {
  const lines = helpLines(isReadOnly);
  const body = Math.max(1, height - 1);
  const first = Math.max(0, Math.min(scroll, lines.length - body));

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Keys</Text>
        <Text dimColor>
          {" "}
          · ↑/↓ scroll · esc back · lower case acts on one task, capitals on
          many
        </Text>
      </Text>
      {lines.slice(first, first + body).map((line, i) => (
        <Text key={i} wrap="truncate" bold={!line.startsWith(" ")}>
          {line}
        </Text>
      ))}
    </Box>
  );
}
