import type { Env } from './types';

/** A key-value store that never throws: storage can be full, disabled or forbidden by the browser. */
export interface KV {
  /** from localStorage, else (unless `localOnly`) from the cookie: each copy survives the other's loss */
  get(key: string, localOnly?: boolean): string | null;
  /** into localStorage and (unless `localOnly`) a first-party cookie of two years */
  set(key: string, value: string, localOnly?: boolean): void;
  del(key: string): void;
}

export const storage = (env: Env, domain?: string): KV => {
  const local = (method: string, ...args: string[]): string | null => {
    try {
      return env.w.localStorage[method](...args);
    } catch {
      // full or forbidden: the cookie copy (or memory) carries on
      return null;
    }
  };
  const cookie = (k: string, v: string, age: number): void => {
    try {
      env.w.document.cookie =
        k +
        '=' +
        encodeURIComponent(v) +
        ';path=/;SameSite=Lax;max-age=' +
        age +
        // Secure: browsers keep it on https pages and on http://localhost; elsewhere localStorage carries the id
        ';Secure' +
        (domain ? ';domain=' + domain : '');
    } catch {
      /* cookies disabled */
    }
  };
  return {
    get: (k, localOnly) => {
      const value = local('getItem', k);
      if (value || localOnly) return value;
      try {
        const m = String(env.w.document.cookie).match('(^|; )' + k + '=([^;]*)');
        return m && decodeURIComponent(m[2]);
      } catch {
        return null;
      }
    },
    set: (k, v, localOnly) => {
      local('setItem', k, v);
      if (!localOnly) cookie(k, v, 63072000);
    },
    del: (k) => {
      local('removeItem', k);
      cookie(k, '', 0);
    },
  };
};
