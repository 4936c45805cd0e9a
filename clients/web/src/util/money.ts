// Money arrives in integer minor units with an ISO 4217 currency. It is shown by building the
// exact decimal string (no floating point) and letting Intl place the symbol and separators.

const digitsCache = new Map<string, number>();

/** The currency's number of decimals (2 for USD, 0 for JPY, 3 for KWD). */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** The exact decimal string of `minor` units: 1234 USD → "12.34", 5 JPY → "5". */
export function minorToDecimal(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const text = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, "0");
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits);
  return `${negative ? "-" : ""}${whole}${digits > 0 ? `.${fraction}` : ""}`;
}

/** "$12.00", "€1,234.50", "¥500". */
export function formatMoney(minor: number, currency: string, locale = "en-US"): string {
  const decimal = minorToDecimal(minor, currency);
  try {
    const nf = new Intl.NumberFormat(locale, { style: "currency", currency });
    return nf.format(decimal as unknown as number);
  } catch {
    return `${decimal} ${currency}`;
  }
}
