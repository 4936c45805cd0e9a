import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { SessionProvider } from "./auth";
import { InboxProvider } from "./inbox";
import "./styles.css";

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <InboxProvider>
          <App />
        </InboxProvider>
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
