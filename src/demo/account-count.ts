/**
 * `demo --accounts N`: 1 to this many pretend accounts (src/demo/accounts.ts DEMO_ACCOUNTS: prod by role, dev by
 * profile, legacy by a refused role). Apart, so that the CLI's parser does not load the SDK to know it.
 */
export const MAX_DEMO_ACCOUNTS = 3;
