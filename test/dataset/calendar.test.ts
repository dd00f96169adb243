import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  dateToDays,
  daysInMonth,
  daysToDate,
  encodeTime,
  formatTime,
  normalizeCalendar,
  timeComponents,
  type Calendar,
} from "../../src/dataset/calendar.js";
import {
  decodeTimeValue,
  encodeTimeValue,
  parseTimeUnits,
  timeCoding,
} from "../../src/dataset/time-units.js";
import { InputError } from "../../src/util/errors.js";
import { python } from "../helpers.js";

const CALENDARS: Calendar[] = [
  "standard",
  "proleptic_gregorian",
  "julian",
  "noleap",
  "all_leap",
  "360_day",
];

// seconds since 1970-01-01 of each calendar: around the Gregorian switch, year 0/1, far past and future
const SECONDS = [
  0, 1, 59.5, 86399, 86400, -1, -86400, -86401, 951782400, 951868800, 4102444800.25, 1e11, -1e11,
  -12219292800, -12219292801, -12220156800, -62135596800, -62135596801, -62167219200, -62198755200,
  253402300799, -2208988800, 1234567890.5, 1582e7, -7e10,
];

test("timeComponents and formatTime equal cftime's num2date fields in every calendar", () => {
  const want = python<Record<string, { f: number[]; iso: string }[]>>(`
import cftime, warnings
warnings.simplefilter("ignore")
secs = ${JSON.stringify(SECONDS)}
out = {}
for cal in ${JSON.stringify(CALENDARS)}:
    rows = []
    for s in secs:
        d = cftime.num2date(s, "seconds since 1970-01-01", cal)
        rows.append({"f": [d.year, d.month, d.day, d.hour, d.minute, d.second + d.microsecond / 1e6, d.dayofyr, d.dayofwk],
                     "iso": d.isoformat()})
    out[cal] = rows
print(json.dumps(out))
`);
  for (const calendar of CALENDARS)
    SECONDS.forEach((s, i) => {
      const c = timeComponents(s, calendar);
      const { f, iso } = want[calendar][i];
      assert.deepEqual(
        [c.year, c.month, c.day, c.hour, c.minute, c.second, c.dayofyear, c.dayofweek],
        f,
        `${calendar} ${s} seconds`,
      );
      // cftime writes years without zero-padding to 4 digits when negative; compare the rest
      const ours = formatTime(s, calendar);
      assert.equal(
        ours.replace(/^-?\d+/, ""),
        iso
          .replace(/^-?\d+/, "")
          .replace(/\.0+$/, "")
          .replace(/(\.\d*?)0+$/, "$1"),
      );
      assert.equal(Number(/^-?\d+/.exec(ours)![0]), f[0]);
    });
});

test("encodeTime equals cftime's date2num, and the seasons are xarray's", () => {
  const dates = [
    [2000, 2, 29, 12, 30, 15],
    [1582, 10, 15, 0, 0, 0],
    [1582, 10, 4, 23, 59, 59],
    [1, 1, 1, 0, 0, 0],
    [1900, 3, 1, 6, 0, 0],
    [2100, 12, 31, 0, 0, 0],
    [-100, 7, 14, 1, 2, 3],
  ];
  const want = python<Record<string, (number | null)[]>>(`
import cftime, warnings
warnings.simplefilter("ignore")
out = {}
for cal in ${JSON.stringify(CALENDARS)}:
    row = []
    for y, m, d, H, M, S in ${JSON.stringify(dates)}:
        try:
            row.append(float(cftime.date2num(cftime.datetime(y, m, d, H, M, S, calendar=cal), "seconds since 1970-01-01", cal)))
        except ValueError:
            row.append(None)
    out[cal] = row
print(json.dumps(out))
`);
  for (const calendar of CALENDARS)
    dates.forEach(([year, month, day, hour, minute, second], i) => {
      const expected = want[calendar][i];
      if (expected === null) {
        assert.throws(
          () => encodeTime({ year, month, day }, calendar),
          InputError,
          `${calendar} ${dates[i]}`,
        );
        return;
      }
      assert.equal(
        encodeTime({ year, month, day, hour, minute, second }, calendar),
        expected,
        `${calendar} ${dates[i]}`,
      );
    });
  const seasons = python<string[]>(`
t = xr.cftime_range("2000-01-01", periods=12, freq="MS", calendar="noleap")
print(json.dumps([str(s) for s in xr.DataArray(t, dims="time").dt.season.values]))
`);
  const ours = Array.from(
    { length: 12 },
    (_, m) =>
      timeComponents(encodeTime({ year: 2000, month: m + 1, day: 1 }, "noleap"), "noleap").season,
  );
  assert.deepEqual(ours, seasons);
});

test("time units decode like cftime, including abbreviations, time zones and 360_day months", () => {
  const cases: [string, string][] = [
    ["days since 2000-01-01 00:00:00", "standard"],
    ["hours since 1900-01-01", "gregorian"],
    ["hrs since 1900-1-1 6:00", "noleap"],
    ["d since 1-1-1", "360_day"],
    ["s since 2000-01-01T00:00:00Z", "all_leap"],
    ["days since 2000-01-01 06:00:00 +03:00", "standard"],
    ["minutes since 1850-01-01 00:00", "365_day"],
    ["msecs since 2000-01-01", "proleptic_gregorian"],
    ["months since 2000-01-01", "360_day"],
    ["common_years since 2000-01-01", "noleap"],
    ["days since 1500-02-28", "standard"],
    ["days since 1500-02-28", "julian"],
    ["Days Since 2000-01-01 12:00:00.5", "366_day"],
  ];
  const values = [0, 1.5, -3, 1000, 36525.25];
  const want = python<string[][]>(`
import cftime, warnings
warnings.simplefilter("ignore")
out = []
for units, cal in ${JSON.stringify(cases)}:
    ds = cftime.num2date(${JSON.stringify(values)}, units, cal)
    out.append([str(cftime.date2num(d, "microseconds since 1970-01-01", cal)) for d in ds])
print(json.dumps(out))
`);
  cases.forEach(([units, calendar], i) => {
    const coding = timeCoding(units, calendar);
    values.forEach((v, j) => {
      const got = decodeTimeValue(v, coding);
      assert.ok(
        Math.abs(got - Number(want[i][j]) / 1e6) < 1e-5,
        `${units} ${calendar} ${v}: ${got} vs ${Number(want[i][j]) / 1e6}`,
      );
    });
  });
});

test("months and years units are refused with a clear error, as xarray refuses them", () => {
  assert.throws(
    () => timeCoding("months since 2000-01-01", "standard"),
    /unsupported time unit "months".*360_day/,
  );
  assert.throws(
    () => timeCoding("years since 2000-01-01", "noleap"),
    /unsupported time unit "years"/,
  );
  assert.throws(() => timeCoding("common_years since 2000-01-01", "360_day"), InputError);
  assert.throws(() => timeCoding("days since yesterday"), /cannot parse time units/);
  assert.throws(() => normalizeCalendar("martian"), /unknown calendar "martian"/);
  assert.equal(parseTimeUnits("days since 2000-01-01 00:00:00").unit, "days");
});

test("property: daysToDate inverts dateToDays, and dates step by one day", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CALENDARS),
      fc.integer({ min: -3_000_000, max: 3_000_000 }),
      (calendar, days) => {
        const d = daysToDate(days, calendar);
        assert.equal(dateToDays(d.year, d.month, d.day, calendar), days);
        const next = daysToDate(days + 1, calendar);
        const sameMonth = next.year === d.year && next.month === d.month && next.day === d.day + 1;
        const newMonth = next.day === 1 && d.day === daysInMonth(d.year, d.month, calendar);
        assert.ok(
          sameMonth || newMonth,
          `${calendar}: ${JSON.stringify(d)} → ${JSON.stringify(next)}`,
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test("property: decode(encode(x)) = x for time numbers and seconds in every calendar and unit", () => {
  const units = [
    "days since 1850-01-01",
    "hours since 2000-02-28 12:00",
    "seconds since 1970-01-01",
    "minutes since 0001-01-01",
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...CALENDARS),
      fc.constantFrom(...units),
      fc.integer({ min: -1e7, max: 1e7 }),
      (calendar, unit, n) => {
        const coding = timeCoding(unit, calendar);
        assert.equal(encodeTimeValue(decodeTimeValue(n, coding), coding), n);
        const c = timeComponents(decodeTimeValue(n, coding), calendar);
        assert.equal(encodeTime(c, calendar), decodeTimeValue(n, coding));
      },
    ),
    { numRuns: 2000 },
  );
});
