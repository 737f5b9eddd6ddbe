import type { Env } from './types';

/** Calls `changed` after every history navigation of a single-page app (pushState, replaceState, back/forward). */
export const watchHistory = (env: Env, changed: () => void): void => {
  try {
    const history = env.w.history;
    for (const name of ['pushState', 'replaceState']) {
      const original = history[name];
      history[name] = function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        changed();
        return result;
      };
    }
    env.w.addEventListener('popstate', changed);
  } catch {
    /* a page whose history cannot be wrapped still gets its first page view */
  }
};
