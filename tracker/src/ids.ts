import type { Env } from './types';

/** A random (version 4) uuid: Web Crypto's, or from Math.random where it is missing (pages not served over https). */
export const uuid = (env: Env): string => {
  try {
    return env.w.crypto.randomUUID();
  } catch {
    // '10000000-1000-4000-8000-100000000000', spelled short
    return ((([1e7] as unknown as string) + -1e3 + -4e3 + -8e3 + -1e11) as string).replace(/[018]/g, (c) =>
      (+c ^ ((Math.random() * 16) >> (+c / 4))).toString(16),
    );
  }
};

export const CLIENT_KEY = '_cs_id';
