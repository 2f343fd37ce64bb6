import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { LiveStoreProvider } from "./liveui/react";
import { createLiveStore } from "./liveui/store";
import "./styles.css";

/** The page carries the socket token and user id (the demo injects them on /spa); during
 * development, `?token=...&user=...` stands in (`python -m demo token alice --json`). */
function pageSetting(meta: string, query: string): string | null {
  const element = document.querySelector<HTMLMetaElement>(`meta[name="${meta}"]`);
  return element?.content || new URLSearchParams(window.location.search).get(query);
}

const root = createRoot(document.getElementById("root")!);
const token = pageSetting("liveui-socket-token", "token");
const userId = pageSetting("liveui-user-id", "user");

if (token === null || userId === null) {
  root.render(
    <p className="setup" role="alert">
      No socket token on this page: open it from the demo at <code>/spa</code> after logging in.
    </p>,
  );
} else {
  const store = createLiveStore({ url: pageSetting("liveui-socket-url", "socket") ?? "/socket", token, userId });
  store.connect();
  root.render(
    <StrictMode>
      <LiveStoreProvider store={store}>
        <App />
      </LiveStoreProvider>
    </StrictMode>,
  );
}
