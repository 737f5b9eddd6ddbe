import type { Env, Options } from './types';

export const OPT_OUT_KEY = '_cs_oo';

/**
 * Whether this browser is never tracked on this page load: it asks not to be (Do Not Track or Global Privacy
 * Control) and the shop respects that, or it is driven by automation (WebDriver: Selenium, Playwright, Puppeteer)
 * and the shop did not allow it.
 */
export const excluded = (env: Env, options: Options): boolean => {
  try {
    const n = env.w.navigator;
    return (
      (!!options.respectDoNotTrack && (n.doNotTrack == '1' || !!n.globalPrivacyControl)) ||
      (!options.allowAutomation && !!n.webdriver)
    );
  } catch {
    return false;
  }
};
