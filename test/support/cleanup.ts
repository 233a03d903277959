/**
 * Process-wide cleanup for benches: whatever happens (normal end, uncaught error, Ctrl-C), child
 * processes are killed and throwaway databases are dropped.
 *
 * - `onExitSync` hooks run in the 'exit' event, so they must be synchronous (kill a pid,
 *   spawnSync a helper). They are the last line of defence and also run on a normal exit.
 * - `onFailure` hooks are asynchronous; they run (bounded in time) on an uncaught error or a
 *   signal, before the process exits with a non-zero code.
 */

type SyncHook = () => void;
type AsyncHook = () => Promise<void> | void;

const syncHooks = new Set<SyncHook>();
const asyncHooks = new Set<AsyncHook>();
let installed = false;
let failing = false;

const ASYNC_CLEANUP_BUDGET_MS = 15_000;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    // Newest first: apps before the databases they use.
    for (const hook of [...syncHooks].reverse()) {
      try {
        hook();
      } catch {
        // best effort: the process is going away anyway
      }
    }
  });
  process.on('uncaughtException', (err) => void fail('uncaught exception', err, 1));
  process.on('unhandledRejection', (err) => void fail('unhandled rejection', err, 1));
  process.on('SIGINT', () => void fail('SIGINT', undefined, 130));
  process.on('SIGTERM', () => void fail('SIGTERM', undefined, 143));
}

async function fail(what: string, err: unknown, code: number): Promise<void> {
  if (failing) return;
  failing = true;
  if (err === undefined) console.error(`\n[bench] ${what}: cleaning up`);
  else console.error(`\n[bench] ${what}:`, err);
  await runFailureHooks();
  process.exit(code);
}

/** Runs the asynchronous hooks newest first, giving up after a fixed budget. */
export async function runFailureHooks(): Promise<void> {
  const hooks = [...asyncHooks].reverse();
  asyncHooks.clear();
  const all = (async () => {
    for (const hook of hooks) {
      try {
        await hook();
      } catch (e) {
        console.error('[bench] cleanup step failed:', e);
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ASYNC_CLEANUP_BUDGET_MS);
    timer.unref();
  });
  await Promise.race([all, budget]);
  clearTimeout(timer);
}

/** Registers a synchronous last-resort hook for process exit; returns its remover. */
export function onExitSync(hook: SyncHook): () => void {
  install();
  syncHooks.add(hook);
  return () => void syncHooks.delete(hook);
}

/** Registers an asynchronous hook for failures (uncaught errors, signals); returns its remover. */
export function onFailure(hook: AsyncHook): () => void {
  install();
  asyncHooks.add(hook);
  return () => void asyncHooks.delete(hook);
}

/**
 * The standard bench entry point: runs `main`, turning a thrown error into exit code 1 after
 * the failure hooks ran; otherwise exits with the code `main` returns.
 */
export function runBench(main: () => Promise<number>): void {
  install();
  main().then(
    // Exit explicitly: an idle keep-alive socket or pool must not keep a finished bench alive.
    (code) => process.exit(code),
    async (err: unknown) => {
      failing = true;
      console.error('\n[bench] FAILED:', err);
      await runFailureHooks();
      process.exit(1);
    },
  );
}
