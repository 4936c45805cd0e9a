// Services: a search box, a category filter, a "free on" date (a free slot that day of the
// provider's calendar) and the sort (newest, price, soonest free slot), 12 a page; the filters
// live in the URL. Each service links to its page (details and the slot picker).
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { listCategories, listServices } from "../api";
import type { Service } from "../api/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { useAsync } from "../components/useAsync";

const PAGE = 12;
type Sort = "newest" | "price_asc" | "price_desc" | "soonest";
const SORTS: { value: Sort; label: string }[] = [
  { value: "newest", label: "Newest first" },
  { value: "price_asc", label: "Price: low to high" },
  { value: "price_desc", label: "Price: high to low" },
  { value: "soonest", label: "Soonest free slot" },
];

/** 90 → "1 h 30 min", 45 → "45 min". */
export function formatDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (!h) return `${m} min`;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export function ServicesPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const category = params.get("category") ?? "";
  const sortParam = params.get("sort") ?? "";
  const sort: Sort = SORTS.some((s) => s.value === sortParam) ? (sortParam as Sort) : "newest";
  const freeOnParam = params.get("free_on") ?? "";
  const freeOn = /^\d{4}-\d{2}-\d{2}$/.test(freeOnParam) ? freeOnParam : "";
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const [text, setText] = useState(q);

  const categories = useAsync(() => listCategories(), []);
  const services = useAsync(
    () =>
      listServices({
        q,
        category_id: category ? Number(category) : "",
        available_on: freeOn,
        sort,
        limit: PAGE,
        offset,
      }),
    [q, category, freeOn, sort, offset],
  );

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("offset" in changes)) next.delete("offset");
    setParams(next);
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    set({ q: text.trim() });
  };
  const categoryName = (s: Service) => categories.data?.items.find((c) => c.id === s.category_id)?.name ?? "";

  return (
    <article>
      <h1>Services</h1>
      <form role="search" onSubmit={search} className="filters">
        <label htmlFor="service-search">Search</label>
        <input
          id="service-search"
          type="search"
          value={text}
          placeholder="Title or description"
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit">Search</button>
        <label htmlFor="service-category">Category</label>
        <select id="service-category" value={category} onChange={(e) => set({ category: e.target.value })}>
          <option value="">Any category</option>
          {categories.data?.items.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
        <label htmlFor="service-free-on">Free on</label>
        <input
          id="service-free-on"
          type="date"
          value={freeOn}
          onChange={(e) => set({ free_on: e.target.value })}
        />
        <label htmlFor="service-sort">Sort</label>
        <select id="service-sort" value={sort} onChange={(e) => set({ sort: e.target.value === "newest" ? "" : e.target.value })}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </form>
      <ErrorMessage error={services.error} />
      {services.loading && !services.data && <p role="status">Loading services…</p>}
      {services.data && (
        <>
          <p role="status">
            {services.data.total} {services.data.total === 1 ? "service" : "services"}
          </p>
          <ul className="event-list service-list">
            {services.data.items.map((s) => (
              <li key={s.id} className="card" data-service-id={s.id}>
                <h2>
                  <Link to={`/services/${s.id}`}>{s.title}</Link>
                </h2>
                <p className="meta service-meta">
                  {categoryName(s)}
                  {categoryName(s) ? " · " : ""}
                  {formatDuration(s.availability.duration_minutes)}
                  {s.availability.capacity > 1 ? ` · class of ${s.availability.capacity}` : ""}
                </p>
                <p>
                  {s.price > 0 ? <Money amount={s.price} currency={s.currency} /> : "Free"}
                </p>
                {s.description && <p className="description">{s.description}</p>}
              </li>
            ))}
          </ul>
          <nav aria-label="Pages" className="pager">
            <button type="button" disabled={offset === 0} onClick={() => set({ offset: String(Math.max(0, offset - PAGE)) })}>
              Previous
            </button>
            <span>
              Page {Math.floor(offset / PAGE) + 1} of {Math.max(1, Math.ceil(services.data.total / PAGE))}
            </span>
            <button
              type="button"
              disabled={offset + PAGE >= services.data.total}
              onClick={() => set({ offset: String(offset + PAGE) })}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </article>
  );
}
