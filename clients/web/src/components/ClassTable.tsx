import type { SeatClass } from "../api/types";
import { Money } from "./Money";

/** The seat classes with their current tier price and how many seats are left. */
export function ClassTable({ classes, currency }: { classes: SeatClass[]; currency: string }) {
  if (!classes.length) return null;
  return (
    <table className="classes">
      <caption>Seat classes and prices now</caption>
      <thead>
        <tr>
          <th scope="col">Class</th>
          <th scope="col">Price now</th>
          <th scope="col">Tier</th>
          <th scope="col">Available</th>
        </tr>
      </thead>
      <tbody>
        {classes.map((c) => (
          <tr key={c.id} data-class={c.name}>
            <th scope="row">{c.name}</th>
            <td>
              {c.for_sale && c.current_price !== null && c.current_price !== undefined ? (
                <Money amount={c.current_price} currency={currency} />
              ) : (
                "not for sale"
              )}
            </td>
            <td>{c.tier}</td>
            <td>
              {c.available_seats} of {c.total_seats}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
