// The unread count in the header, following the notifications stream while signed in.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { unreadCount } from "./api";
import type { Notification } from "./api/types";
import { useSession } from "./auth";
import { useNotificationStream } from "./live/useNotificationStream";

interface Inbox {
  unread: number;
  latest: Notification | null;
  refresh: () => void;
}

const InboxContext = createContext<Inbox>({ unread: 0, latest: null, refresh: () => {} });

export function InboxProvider({ children }: { children: ReactNode }) {
  const session = useSession();
  const [unread, setUnread] = useState(0);
  const [latest, setLatest] = useState<Notification | null>(null);
  const refresh = useCallback(() => {
    if (!session) return setUnread(0);
    unreadCount().then(
      (c) => setUnread(c.unread),
      () => {},
    );
  }, [session]);
  useEffect(refresh, [refresh]);
  useNotificationStream(!!session, (n) => {
    setLatest(n);
    refresh();
  });
  return <InboxContext.Provider value={{ unread, latest, refresh }}>{children}</InboxContext.Provider>;
}

export function useInbox(): Inbox {
  return useContext(InboxContext);
}
