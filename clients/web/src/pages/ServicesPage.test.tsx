import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("../api", () => ({
  listCategories: vi.fn(),
  listServices: vi.fn(),
}));
import * as api from "../api";
import { ServicesPage } from "./ServicesPage";

const page = <T,>(items: T[]) => ({ items, total: items.length, limit: 12, offset: 0 });

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/services" element={<ServicesPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe("ServicesPage", () => {
  beforeEach(() => {
    vi.mocked(api.listCategories).mockResolvedValue(page([]) as never);
    vi.mocked(api.listServices).mockResolvedValue(page([]) as never);
  });

  it("asks for the soonest free slot first and for services free on a date", async () => {
    renderAt("/services");
    await screen.findByText("0 services");
    expect(api.listServices).toHaveBeenLastCalledWith(
      expect.objectContaining({ sort: "newest", available_on: "" }),
    );
    await userEvent.selectOptions(screen.getByLabelText("Sort"), "soonest");
    expect(api.listServices).toHaveBeenLastCalledWith(expect.objectContaining({ sort: "soonest" }));
    fireEvent.change(screen.getByLabelText("Free on"), { target: { value: "2030-01-07" } });
    expect(api.listServices).toHaveBeenLastCalledWith(
      expect.objectContaining({ sort: "soonest", available_on: "2030-01-07" }),
    );
  });

  it("ignores a malformed date in the address", async () => {
    renderAt("/services?free_on=tomorrow&sort=soonest");
    await screen.findByText("0 services");
    expect(api.listServices).toHaveBeenLastCalledWith(
      expect.objectContaining({ sort: "soonest", available_on: "" }),
    );
  });
});
