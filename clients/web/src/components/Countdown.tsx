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

export function Countdown({ seconds }: { seconds: number }) {
  return (
    <p className={`countdown${seconds < 60 ? " urgent" : ""}`} role="timer" aria-live="off" data-testid="countdown">
      Seats held for <strong>{formatCountdown(seconds)}</strong>
    </p>
  );
}
