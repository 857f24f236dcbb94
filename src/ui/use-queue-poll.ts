/**
 * Polls the QueueSource every `refreshMs`: the header snapshot always, the
 * visible window (plus a margin) unless frozen. A poll never overlaps the
 * previous one; a view change asks for one right away.
 */
import { useCallback, useEffect, useRef, type Dispatch } from "react";
import type { QueueSource } from "./data.js";
import type { Action, State } from "./state.js";

/** Rows fetched above and below the visible page, per page. */
const MARGIN_PAGES = 1;

/** The window to fetch for the current view. */
export function wantedRange(state: State, pageSize: number) {
  const offset = Math.max(0, state.top - pageSize * MARGIN_PAGES);
  const limit = state.top - offset + pageSize * (1 + MARGIN_PAGES);
  return { offset, limit };
}

/** True when the fetched window holds every row on screen. */
export function isCovered(state: State, pageSize: number): boolean {
  const window = state.window;
  if (!window) return false;
  const end = Math.min(state.top + pageSize, window.total);
  return (
    window.offset <= state.top && window.offset + window.rows.length >= end
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useQueuePoll(
  source: QueueSource,
  state: State,
  dispatch: Dispatch<Action>,
  refreshMs: number,
  pageSize: number,
): () => void {
  const latest = useRef({ state, pageSize });
  latest.current = { state, pageSize };
  const isBusy = useRef(false);
  const isAgain = useRef(false);
  const isMounted = useRef(true);

  const poll = useCallback(async () => {
    if (isBusy.current) {
      isAgain.current = true;
      return;
    }
    isBusy.current = true;
    try {
      do {
        isAgain.current = false;
        const { state: now, pageSize: size } = latest.current;
        const wantsWindow = !now.isFrozen || !isCovered(now, size);
        const { offset, limit } = wantedRange(now, size);
        const [snapshot, window] = await Promise.all([
          source.snapshot(),
          wantsWindow
            ? source.window(now.list, offset, limit, now.filter)
            : undefined,
        ]);
        if (!isMounted.current) return;
        dispatch({ type: "snapshot", snapshot });
        if (window)
          dispatch({
            type: "window",
            window,
            pageSize: latest.current.pageSize,
          });
      } while (isAgain.current);
    } catch (error) {
      if (isMounted.current) {
        dispatch({
          type: "status",
          status: { text: `refresh failed: ${message(error)}`, tone: "error" },
        });
      }
    } finally {
      isBusy.current = false;
    }
  }, [source, dispatch]);

  useEffect(() => {
    isMounted.current = true;
    void poll();
    const timer = setInterval(() => void poll(), refreshMs);
    return () => {
      isMounted.current = false;
      clearInterval(timer);
    };
  }, [poll, refreshMs]);

  const covered = isCovered(state, pageSize);
  useEffect(() => {
    if (!covered) void poll();
  }, [poll, covered, state.list, state.filter, state.top]);

  return poll;
}
