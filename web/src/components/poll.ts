/**
 * Runs `tick` now and then every `everyMs` after the previous run ended (never two at once).
 * While the tab is hidden nothing is fetched; it catches up when the tab is shown again.
 * Returns the stop function.
 */
export function poll(tick: () => Promise<void>, everyMs = 2000): () => void {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    timer = undefined;
    if (stopped) return;
    if (!document.hidden) {
      try {
        await tick();
      } catch {
        // the page shows its own errors
      }
    }
    if (!stopped) timer = window.setTimeout(() => void run(), everyMs);
  };
  const onVisible = () => {
    if (!document.hidden && timer !== undefined) {
      window.clearTimeout(timer);
      void run();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) window.clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
