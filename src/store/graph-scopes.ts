/** @module The change scopes writers mark and the identity graph compares: the people, and each app's snapshot. */

/** The scope a write to people marks. */
export const PEOPLE_SCOPE = 'people';

/** The scope a write to one app's snapshot (or a manual link in it) marks. */
export const appScope = (appId: string): string => `app:${appId}`;
