import { describe, expect, it } from "vitest";
import { currencyDigits, formatMoney, minorToDecimal } from "./money";

describe("money", () => {
  it("knows each currency's decimals", () => {
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("KWD")).toBe(3);
  });
  it("builds the exact decimal from minor units", () => {
    expect(minorToDecimal(1234, "USD")).toBe("12.34");
    expect(minorToDecimal(5, "USD")).toBe("0.05");
    expect(minorToDecimal(0, "EUR")).toBe("0.00");
    expect(minorToDecimal(-250, "EUR")).toBe("-2.50");
    expect(minorToDecimal(500, "JPY")).toBe("500");
    expect(minorToDecimal(1, "KWD")).toBe("0.001");
    // beyond 2^53 / 100 a float would round; the string never does
    expect(minorToDecimal(900719925474099, "USD")).toBe("9007199254740.99");
  });
  it("formats with the symbol and grouping", () => {
    expect(formatMoney(1200, "USD")).toBe("$12.00");
    expect(formatMoney(123450, "EUR")).toBe("€1,234.50");
    expect(formatMoney(500, "JPY")).toBe("¥500");
  });
  it("falls back to code for an unknown currency", () => {
    expect(formatMoney(1200, "ZZZ")).toMatch(/12\.00/);
  });
});
