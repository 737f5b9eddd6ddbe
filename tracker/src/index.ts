/** The tracker as an ES module: `Clickstream` is what the script tag defines; `createTracker` makes another. */
import { createTracker, guard } from './api';
import type { Tracker } from './tracker';
import type { Options } from './types';

export { createTracker };
export type { Stats, Tracker } from './tracker';
export type { Cart, ConsentState, Env, Options, Order, OrderItem, Product, Props, WireEvent } from './types';

let instance: Tracker | null = null;

/** The page's one tracker: `init` once (again is ignored); calls before it do nothing. */
export const Clickstream = guard(() => instance, {
  init: (options: Options): void => {
    if (!instance && options && options.endpoint) instance = createTracker(options, { w: window });
  },
});
