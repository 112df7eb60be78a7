// The commands fix hints name: each works where it is printed, in a project that installed
// node-criu (a consumer has no `npm run install-criu` or `npm run build:native`).

/** Provisions CRIU into the per-user cache (the project's own clone: its .criu/). */
export const INSTALL_CRIU = 'npx node-criu install-criu';

/** Builds the addon and launcher from source in the installed package. */
export const BUILD_NATIVE = 'npm rebuild node-criu';

/** What a build from source needs on PATH. */
export const BUILD_TOOLS = 'python3, make and g++';
