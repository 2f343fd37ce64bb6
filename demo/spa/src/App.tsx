import { useState } from "react";

import {
  COUNTER_AUDIENCES,
  COUNTER_NAMES,
  UNREAD_COUNTER,
  type CounterName,
} from "./liveui/counters";
import {
  useConnectionState,
  useCounter,
  useLiveState,
  useNotifications,
} from "./liveui/react";
import type { Notification } from "./liveui/types";

function label(name: CounterName): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function Counter({ name }: { name: CounterName }) {
  const value = useCounter(name);
  return (
    <li className="counter">
      <span className="counter-label">{label(name)}</span>
      <span className="counter-value" data-counter={name}>
        {value}
      </span>
    </li>
  );
}

/** The counters this user receives: every "user" counter, and the others the server sent. */
function Counters() {
  const { versions } = useLiveState();
  const shown = COUNTER_NAMES.filter(
    (name) => COUNTER_AUDIENCES[name] === "user" || versions[name] !== undefined,
  );
  return (
    <section aria-labelledby="counters-title">
      <h2 id="counters-title">Counters</h2>
      <ul className="counters">
        {shown.map((name) => (
          <Counter key={name} name={name} />
        ))}
      </ul>
    </section>
  );
}

function ConnectionIndicator() {
  const connection = useConnectionState();
  return (
    <span className={`connection connection-${connection}`} data-connection={connection} role="status">
      {connection}
    </span>
  );
}

function NotificationItem({ notification }: { notification: Notification }) {
  const { markAsRead } = useNotifications();
  const [failure, setFailure] = useState<string | null>(null);
  const unread = !notification.read;
  return (
    <li
      className={`notification notification-${notification.type}`}
      data-notification-id={notification.id}
      {...(unread ? { "data-unread": "" } : {})}
    >
      <div className="notification-title">{notification.title}</div>
      {notification.message && <div className="notification-message">{notification.message}</div>}
      <div className="notification-meta">
        <time dateTime={notification.insertedAt}>
          {new Date(notification.insertedAt).toLocaleString()}
        </time>
        {notification.actionUrl && (
          <a href={notification.actionUrl}>{notification.actionLabel ?? "Open"}</a>
        )}
      </div>
      {unread && (
        <button
          type="button"
          onClick={() => {
            markAsRead(notification.id).catch((error: unknown) => setFailure(String(error)));
          }}
        >
          Mark as read
        </button>
      )}
      {failure && <span role="alert">{failure}</span>}
    </li>
  );
}

function Notifications() {
  const { notifications, unreadCount, markAllAsRead } = useNotifications();
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <section aria-labelledby="notifications-title">
      <h2 id="notifications-title">
        Notifications {UNREAD_COUNTER !== null && <span className="badge">{unreadCount}</span>}
      </h2>
      <button
        type="button"
        onClick={() => {
          markAllAsRead().catch((error: unknown) => setFailure(String(error)));
        }}
      >
        Mark all as read
      </button>
      {failure && <span role="alert">{failure}</span>}
      {notifications.length === 0 ? (
        <p className="empty">No notifications yet.</p>
      ) : (
        <ul className="notifications">
          {notifications.map((n) => (
            <NotificationItem key={n.id} notification={n} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function App() {
  return (
    <main>
      <nav className="back">
        <a href="/">← Back to the dashboard</a>
      </nav>
      <header>
        <h1>liveui + React</h1>
        <ConnectionIndicator />
      </header>
      <p className="intro">
        No server-rendered live parts here: this React app joins your <code>user:</code> channel
        with the official phoenix client through the SDK that <code>liveui gen ts</code> generated,
        and renders the same counters and notifications itself.
      </p>
      <Counters />
      <Notifications />
    </main>
  );
}
