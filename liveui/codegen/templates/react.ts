// React bindings of the store (useSyncExternalStore). React is an optional peer dependency:
// this is the only file that imports it; apps without React leave it out of their build.
import { createContext, createElement, useContext, useSyncExternalStore } from "react";
import type { ReactElement, ReactNode } from "react";

import type { AggregateName, AggregateValue } from "./aggregates.js";
import { UNREAD_COUNTER, type CounterName, type Counters } from "./counters.js";
import type { ConnectionState, LiveState, LiveStore } from "./store.js";
import type { Notification } from "./types.js";

const LiveStoreContext = createContext<LiveStore | null>(null);

export interface LiveStoreProviderProps {
  readonly store: LiveStore;
  readonly children?: ReactNode;
}

/** Makes `store` available to the hooks below. */
export function LiveStoreProvider({ store, children }: LiveStoreProviderProps): ReactElement {
  return createElement(LiveStoreContext.Provider, { value: store }, children);
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (store === null) {
    throw new Error("liveui: wrap the component in <LiveStoreProvider store={store}>");
  }
  return store;
}

/** The whole state; prefer the narrower hooks, which re-render less. */
export function useLiveState(): LiveState {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}

function useSelected<T>(select: (state: LiveState) => T): T {
  const store = useLiveStore();
  const read = (): T => select(store.getState());
  return useSyncExternalStore(store.subscribe, read, read);
}

export function useCounters(): Counters {
  return useSelected((state) => state.counters);
}

export function useCounter(name: CounterName): number {
  return useSelected((state) => state.counters[name]);
}

/** An aggregate's newest value and version; undefined until loaded, or outside the user's
 * audience. `value` is an exact decimal string (null: the average of nothing). */
export function useAggregate(name: AggregateName): AggregateValue | undefined {
  return useSelected((state) => state.aggregates[name]);
}

export function useConnectionState(): ConnectionState {
  return useSelected((state) => state.connection);
}

export interface NotificationsView {
  /** Newest first. */
  readonly notifications: readonly Notification[];
  /** The unread counter's value: the server's count, not a count of the list. */
  readonly unreadCount: number;
  readonly markAsRead: (id: string) => Promise<void>;
  readonly markAllAsRead: () => Promise<number>;
}

export function useNotifications(): NotificationsView {
  const store = useLiveStore();
  const notifications = useSelected((state) => state.notifications);
  const unreadCount = useSelected((state) =>
    UNREAD_COUNTER === null ? 0 : state.counters[UNREAD_COUNTER],
  );
  return {
    notifications,
    unreadCount,
    markAsRead: store.markAsRead,
    markAllAsRead: store.markAllAsRead,
  };
}
