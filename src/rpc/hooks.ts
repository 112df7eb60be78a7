// Caller hooks for CRIU's notifications ("action scripts"), named after them.

/** The notifications CRIU sends when `notify_scripts` is on, by their CRIU names. */
export const NOTIFICATIONS = {
  'pre-stream': 'preStream',
  'pre-dump': 'preDump',
  'post-dump': 'postDump',
  'pre-restore': 'preRestore',
  'post-restore': 'postRestore',
  'network-lock': 'networkLock',
  'network-unlock': 'networkUnlock',
  'setup-namespaces': 'setupNamespaces',
  'post-setup-namespaces': 'postSetupNamespaces',
  'pre-resume': 'preResume',
  'post-resume': 'postResume',
  'orphan-pts-master': 'orphanPtsMaster',
  'status-ready': 'statusReady',
  'query-ext-files': 'queryExtFiles',
} as const;

/** A notification by CRIU's name, e.g. `'post-dump'`. */
export type NotificationName = keyof typeof NOTIFICATIONS;
/** A notification by its hook's name, e.g. `'postDump'`. */
export type HookName = (typeof NOTIFICATIONS)[NotificationName];

/** What a hook is called with. */
export interface HookContext {
  /** CRIU's name of the notification, e.g. `'post-restore'`. */
  notification: NotificationName;
  /** The pid CRIU attached (the restored root for post-restore, ...), if any. */
  pid: number | undefined;
  /** The CRIU process that sent the notification (the one writing or reading the images), if known. */
  criuPid?: number | undefined;
  /**
   * Descriptors CRIU sent with the notification (orphan-pts-master: the new pty master).
   * They are closed after the hook returns unless the hook removes them from this array.
   */
  fds: number[];
}

/**
 * A hook runs while CRIU waits. Returning `false` or throwing aborts the operation (CRIU rolls a
 * dump back and resumes the tree; a failed restore kills what it created).
 * `queryExtFiles` may instead return external resource keys to add to the dump.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: hooks written as `async () => {}` return Promise<void>.
export type Hook = (context: HookContext) => void | boolean | Promise<void | boolean>;
/** The `queryExtFiles` hook: like a Hook, or returns CRIU external keys (`unix[1234]`) to add to the dump. */
export type QueryExtFilesHook = (
  context: HookContext,
) => undefined | boolean | readonly string[] | Promise<undefined | boolean | readonly string[]>;

/** Functions to call at CRIU's notifications, by hook name (see NOTIFICATIONS); each is optional. */
export type Hooks = {
  [K in Exclude<HookName, 'queryExtFiles'>]?: Hook;
} & { queryExtFiles?: QueryExtFilesHook };

export function hookNameOf(notification: string): HookName | undefined {
  return (NOTIFICATIONS as Record<string, HookName>)[notification];
}
