import { describe, expect, it } from "vitest";
import type { Row, RowWindow } from "../../../src/ui/data.js";
import {
  initialState,
  nextList,
  rateBuckets,
  reduce,
  selectedRow,
  type State,
} from "../../../src/ui/state.js";

function row(id: string, index: number): Row {
  return {
    key: id,
    id,
    tipo: "generar_reporte",
    at: null,
    intentos: 1,
    raw: `{"id":"${id}"}`,
    index,
  };
}

/** A window of `ids` (head first) starting at `offset`, of a list of `total`. */
function windowOf(ids: string[], offset = 0, total = ids.length): RowWindow {
  return {
    list: "fallidas",
    filter: "",
    total,
    offset,
    rows: ids.map((id, i) => row(id, offset + i)),
  };
}

function start(): State {
  return reduce(initialState("fallidas"), {
    type: "window",
    window: windowOf(["c", "b", "a"]),
    pageSize: 5,
  });
}

describe("ui state reducer", () => {
  it("selects the first row of the first window", () => {
    expect(selectedRow(start())?.id).toBe("c");
  });

  it("keeps the selected task when new entries arrive at the head", () => {
    let state = reduce(start(), { type: "move", by: 1, pageSize: 5 });
    expect(selectedRow(state)?.id).toBe("b");
    state = reduce(state, {
      type: "window",
      window: windowOf(["e", "d", "c", "b", "a"]),
      pageSize: 5,
    });
    expect(selectedRow(state)?.id).toBe("b");
    expect(state.cursor).toBe(3);
    expect(state.top).toBe(0);
  });

  it("scrolls only as far as needed to keep the selection on screen", () => {
    let state = reduce(start(), { type: "move", by: 2, pageSize: 3 });
    const ids = ["g", "f", "e", "d", "c", "b", "a"];
    state = reduce(state, {
      type: "window",
      window: windowOf(ids),
      pageSize: 3,
    });
    expect(selectedRow(state)?.id).toBe("a");
    expect(state.top).toBe(4);
  });

  it("selects the next entry when the selected one leaves the list", () => {
    let state = reduce(start(), { type: "move", by: 1, pageSize: 5 });
    state = reduce(state, {
      type: "window",
      window: windowOf(["c", "a"]),
      pageSize: 5,
    });
    expect(selectedRow(state)?.id).toBe("a");
  });

  it.each([
    [[1, 1, 1, 1], "c", 2],
    [["last"], "a", 2],
    [["last", "first"], "c", 0],
    [[-5], "c", 0],
    [[99], "a", 2],
  ] as const)("moves by %j to %s", (moves, id, cursor) => {
    let state = start();
    for (const by of moves)
      state = reduce(state, { type: "move", by, pageSize: 5 });
    expect(state.cursor).toBe(cursor);
    expect(selectedRow(state)?.id).toBe(id === "c" && cursor === 2 ? "a" : id);
  });

  it("ignores a window of another list or filter (a late reply)", () => {
    const state = reduce(start(), { type: "switchList", list: "procesar" });
    const late = reduce(state, {
      type: "window",
      window: windowOf(["x"]),
      pageSize: 5,
    });
    expect(late.window).toBeUndefined();
  });

  it("resets position when the list or the filter changes", () => {
    const moved = reduce(start(), { type: "move", by: 2, pageSize: 5 });
    for (const next of [
      reduce(moved, { type: "switchList", list: "procesadas" }),
      reduce(moved, { type: "filter", filter: "boom" }),
    ]) {
      expect(next.cursor).toBe(0);
      expect(next.selectedKey).toBeUndefined();
    }
  });

  it("keeps an open detail on its record as it refreshes", () => {
    let state = start();
    state = reduce(state, {
      type: "mode",
      mode: { kind: "detail", row: row("b", 1), scroll: 0 },
    });
    const fresh = { ...row("b", 2), intentos: 7 };
    state = reduce(state, {
      type: "window",
      window: {
        ...windowOf(["d", "c"]),
        total: 4,
        rows: [row("d", 0), row("c", 1), fresh],
      },
      pageSize: 5,
    });
    expect(state.mode.kind === "detail" && state.mode.row.intentos).toBe(7);
  });

  it("records connection changes once", () => {
    const lost = reduce(start(), {
      type: "connection",
      isUp: false,
      at: 5,
      reason: "ECONNREFUSED",
    });
    expect(lost.connection).toEqual({
      isUp: false,
      since: 5,
      reason: "ECONNREFUSED",
    });
    expect(reduce(lost, { type: "connection", isUp: false, at: 9 })).toBe(lost);
  });

  it("cycles lists in tab order", () => {
    expect(nextList("procesar", 1)).toBe("procesando");
    expect(nextList("fallidas", 1)).toBe("procesar");
    expect(nextList("procesar", -1)).toBe("fallidas");
  });
});

describe("rateBuckets", () => {
  it("averages samples into buckets ending now, dropping older ones", () => {
    const samples = [
      { at: 1000, rate: 2 },
      { at: 1500, rate: 4 },
      { at: 9500, rate: 10 },
    ];
    expect(rateBuckets(samples, 10_000, 3, 3000)).toEqual([4, undefined, 10]);
  });
});
