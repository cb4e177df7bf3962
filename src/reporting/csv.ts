/**
 * CSV as the reports write it (RFC 4180): a header row, then one line per row, CRLF line ends, a
 * field quoted when it holds a comma, quote or line break (quotes doubled). Amounts are integers in
 * the currency's minor unit; times are `YYYY-MM-DD HH:MM:SS` in UTC, as Stripe's reports write them.
 */

/** One CSV field: quoted only when it must be. */
function field(value: string | number | null): string {
  if (value === null) return "";
  const s = String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet: text fields starting so are prefixed with '.
  const safe = typeof value === "string" && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The CSV document of `header` and `rows`. */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((r) => `${r.map(field).join(",")}\r\n`).join("");
}

/** Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC). */
export function csvTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}
