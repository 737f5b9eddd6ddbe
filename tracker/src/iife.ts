/** The script-tag build: defines window.Clickstream. */
import { Clickstream } from './index';

(window as unknown as { Clickstream: typeof Clickstream }).Clickstream = Clickstream;
