import type { Quote } from "../api/types";
import { Money } from "./Money";

/** The price of what is picked, line by line (each seat at its class's tier price). */
export function QuoteBox({ quote }: { quote: Quote }) {
  return (
    <section className="quote" aria-label="Price" aria-live="polite">
      <h3>Your total</h3>
      <ul>
        {quote.items.map((item, i) => (
          <li key={item.seat_id ?? `ga-${i}`}>
            {item.label ? `Seat ${item.label}` : `${item.quantity} × place`}
            {item.seat_class ? ` · ${item.seat_class}` : ""}
            {item.tier ? ` · ${item.tier} tier` : ""}: <Money amount={item.price * item.quantity} currency={quote.currency} />
          </li>
        ))}
      </ul>
      <p className="sum">
        Total <strong data-testid="quote-total">{quote.total_amount !== undefined ? <Money amount={quote.total_amount} currency={quote.currency} /> : "—"}</strong>
      </p>
    </section>
  );
}
