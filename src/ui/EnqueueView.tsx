/**
 * The enqueue form: tipo chosen with ←/→, one text field per task field,
 * each error shown next to its field.
 */
import { Box, Text } from "ink";
import { TIPOS } from "../common/task.js";
import { fieldsOf, tipoAt } from "./enqueue-form.js";
import type { EnqueueForm } from "./state.js";

interface EnqueueViewProps {
  form: EnqueueForm;
  width: number;
  height: number;
}

export function EnqueueView({ form, width, height }: EnqueueViewProps) {
  const tipo = tipoAt(form.tipoIndex);
  const fields = fieldsOf(tipo);

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Enqueue a task</Text>
      <Text dimColor wrap="truncate">
        ←/→ tipo · tab/↓ next field · enter queue · esc cancel
      </Text>
      <Text> </Text>
      <Text wrap="truncate">
        <Text inverse={form.focus === 0}>
          {form.focus === 0 ? "›" : " "} {"tipo".padEnd(10)}
        </Text>
        <Text bold> ‹ {tipo} › </Text>
        <Text dimColor>
          {" "}
          {TIPOS.indexOf(tipo) + 1}/{TIPOS.length}
        </Text>
      </Text>
      {fields.length === 0 ? <Text dimColor> (no fields)</Text> : null}
      {fields.map((field, i) => {
        const isFocused = form.focus === i + 1;
        const value = form.values[field.name] ?? "";
        const error = form.errors[field.name];
        return (
          <Text key={field.name} wrap="truncate">
            <Text inverse={isFocused}>
              {isFocused ? "›" : " "} {field.name.padEnd(10)}
            </Text>{" "}
            [{value}
            {isFocused ? "▏" : ""}]{" "}
            {error ? (
              <Text color="red">✗ {error}</Text>
            ) : (
              <Text dimColor>{field.hint}</Text>
            )}
          </Text>
        );
      })}
      {form.errors.task ? <Text color="red">✗ {form.errors.task}</Text> : null}
    </Box>
  );
}
