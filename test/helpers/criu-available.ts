// Decides once whether integration tests can use real CRIU; in CI they must, so there it fails.
import { check } from '../../src/index.js';

const result = await check({ backend: 'criu' });

/**
 * `false` when CRIU is usable, else the reason to skip. In CI (CI=true) an unusable CRIU is a
 * failure, not a skip: CI here has root and provisions CRIU, so a skip would hide a broken set-up.
 */
export const skipUnlessCriu: false | string = result.usable
  ? false
  : `CRIU is not usable here: ${result.problems.map((p) => `${p.message} (${p.fix})`).join('; ')}`;

if (skipUnlessCriu && process.env.CI) throw new Error(`CI must run the integration tests, but ${skipUnlessCriu}`);
