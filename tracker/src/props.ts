import type { Order, Product, Props, Scalar } from './types';

const KEY = /^[a-z_][\w.-]{0,63}$/i;

/**
 * Custom properties as the contract takes them: flat, at most 49 keys (the tracker adds sessionIndex to the
 * contract's 50), scalar values (strings cut to 1024).
 * Anything else (objects, arrays, functions, NaN, and so cycles) is left out rather than sent to be refused.
 */
export const flatProps = (input: unknown, extra?: Props): Props | undefined => {
  const out: Props = {};
  let n = 0;
  const add = (k: string, v: unknown): void => {
    const t = typeof v;
    const value =
      t == 'string' ? (v as string).slice(0, 1024) : v === null || t == 'boolean' || (t == 'number' && isFinite(v as number)) ? (v as Scalar) : undefined;
    if (value !== undefined && KEY.test(k) && n < 49) {
      out[k] = value;
      n++;
    }
  };
  // the tracker's own (extra) last: they win over a property of the same name
  for (const source of [input, extra])
    if (source && typeof source == 'object') for (const k of Object.keys(source)) add(k, (source as Props)[k]);
  return n ? out : undefined;
};

/** `keys` of `o`: only the contract's fields reach the wire, so no unknown field and no cycle of the host's. */
const pick = <T>(o: T, keys: string): T => {
  const out: Record<string, unknown> = {};
  for (const k of keys.split(' ')) out[k] = (o as Record<string, unknown>)[k];
  return out as T;
};

// ids are strings in the contract; shops often hold them as numbers
export const cleanProduct = (p: Product): Product => ({
  ...pick(p, 'name category brand price discountPrice'),
  id: String(p.id),
});

export const cleanOrder = (o: Order): Order => ({
  ...pick(o, 'revenue currency'),
  id: String(o.id),
  items: o.items && o.items.map((i) => ({ ...pick(i, 'quantity price'), productId: String(i.productId) })),
});
