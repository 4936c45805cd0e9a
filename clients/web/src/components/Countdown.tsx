import { useEffect, useState } from "react";
import { formatCountdown, secondsUntil } from "../util/time";

/** Seconds left until `until`, ticking; calls onEnd once at zero. */
export function useCountdown(until: string | null | undefined, onEnd?: () => void): number | null {
  const [left, setLeft] = useState(() => (until ? secondsUntil(until) : null));
  useEffect(() => {
    if (!until) {
      setLeft(null);
      return;
    }
    let ended = false;
    const tick = () => {
      const s = secondsUntil(until);
      setLeft(s);
      if (s === 0 && !ended) {
        ended = true;
        onEnd?.();
      }
    };
    tick();
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [until]);
  return left;
}

/** `label`: what is held ("Seats held for", the default; "This time is held for" for an appointment). */
export function Countdown({ seconds, label = "Seats held for" }: { seconds: number; label?: string }) {
  return (
    <p className={`countdown${seconds < 60 ? " urgent" : ""}`} role="timer" aria-live="off" data-testid="countdown">
      {label} <strong>{formatCountdown(seconds)}</strong>
    </p>
  );
}
