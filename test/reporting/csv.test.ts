/** CSV writing: quoting, formula-looking text neutralized, CRLF lines, UTC times. */
import { describe, expect, it } from "vitest";
import { csvTime, toCsv } from "../../src/reporting/csv";

describe("csv", () => {
  it("quotes only what must be quoted and neutralizes formulas", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          ["x,y", 'say "hi"'],
          [12, null],
          ["=SUM(A1)", -5],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n12,\r\n\'=SUM(A1),-5\r\n');
  });

  it("writes times as UTC", () => {
    expect(csvTime(Date.UTC(2026, 11, 1, 0, 0, 5) / 1000)).toBe("2026-12-01 00:00:05");
  });
});
