import { type Tracker, createCore } from './tracker';
import type { Env, Options } from './types';

/**
 * The API over whatever tracker `target` gives, each method guarded: with no tracker (before init, or after a
 * failed one), with arguments of any shape, nothing is thrown into the host page and flush still gives a promise.
 * A Proxy rather than a list of the names keeps them written once (size budget: docs/tracker.md).
 */
export const guard = <T extends object>(target: () => Tracker | null, own = {} as T): Tracker & T =>
  new Proxy(own, {
    get: (_, name: string) =>
      // not a thenable: `await` on the API must not wait for ever
      name != 'then' &&
      ((...args: unknown[]): unknown => {
        try {
          return ((name in own ? own : target()) as Record<string, (...a: unknown[]) => unknown>)[name](...args);
        } catch {
          return name == 'flush' ? Promise.resolve() : undefined;
        }
      }),
  }) as Tracker & T;

/** A tracker over `env`, guarded. */
export const createTracker = (options: Options, env: Env): Tracker => {
  let core: Tracker | null = null;
  try {
    core = createCore(options, env);
  } catch {
    /* a broken page: the API stays callable and harmless */
  }
  return guard(() => core);
};
