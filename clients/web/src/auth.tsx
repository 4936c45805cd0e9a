// The signed-in user, for every component, following the stored session.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { getSession, onSessionChange, type Session } from "./api/session";

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(getSession);
  useEffect(() => onSessionChange(setSession), []);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session | null {
  return useContext(SessionContext);
}
