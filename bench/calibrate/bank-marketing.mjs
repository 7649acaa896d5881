// The UCI Bank Marketing data set (Moro, Cortez & Rita 2014; see
// bench/data/bank-marketing/README.md) as lead records for `calibrate` and
// bench/calibrate/compare.py: one lead per client row, `converted` = y.
//
//   node bench/calibrate/bank-marketing.mjs [CSV or CSV.gz] [--with-duration] > leads.jsonl
//
// Default input: bench/data/bank-marketing/bank-additional-full.csv.gz (the
// 41,188 rows; bank-additional.csv, the 4,119-row sample, reads the same).
//
// - profile: the client (age, job, marital, education, default, housing,
//   loan), the last contact (contact, month, day_of_week), the previous
//   campaign (poutcome; pdays as a number, absent when the client was never
//   contacted before: the file's 999) and the social and economic context
//   (emp_var_rate, cons_price_idx, cons_conf_idx, euribor3m, nr_employed:
//   the file's dotted names with `_`, since profile fields with dots are
//   not read).
// - events: the telemarketing contacts as Segment `track` events. The
//   `campaign` contacts of this campaign are "Call Made", one a day, the
//   last one an hour before `now`; the `previous` contacts of earlier
//   campaigns are "Previous Campaign Call", the latest `pdays` days before
//   the last call (a year before when the file says 999), earlier ones a
//   week apart.
// - now: one instant for every lead (the data set gives no dates, only the
//   month and weekday of the last call, which the profile carries).
//
// `duration` (seconds of the last call) is left out: it is known only once
// the call is over, when the outcome is known too, and the data set's own
// documentation says to discard it for a realistic predictive model.
// `--with-duration` puts it in the profile, to see the leakage check.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2010, 11, 1);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const args = process.argv.slice(2);
const withDuration = args.includes("--with-duration");
const file = args.find((a) => !a.startsWith("--"))
  ?? path.join(ROOT, "bench", "data", "bank-marketing", "bank-additional-full.csv.gz");
let bytes = readFileSync(file);
if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
const lines = bytes.toString("utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
const unquote = (s) => s.trim().replace(/^"(.*)"$/, "$1");
const header = lines[0].split(";").map(unquote);
const TEXT = ["job", "marital", "education", "default", "housing", "loan", "contact", "month", "day_of_week", "poutcome"];
const CONTEXT = ["emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed"];
for (const name of [...TEXT, ...CONTEXT, "age", "duration", "campaign", "pdays", "previous", "y"]) {
  if (!header.includes(name)) throw new Error(`${file}: no column "${name}" in the header`);
}

const out = [];
for (let i = 1; i < lines.length; i += 1) {
  const cells = lines[i].split(";").map(unquote);
  if (cells.length !== header.length) throw new Error(`${file}:${i + 1}: ${cells.length} cells, header has ${header.length}`);
  const row = Object.fromEntries(header.map((h, k) => [h, cells[k]]));
  const int = (name) => {
    const x = Number(row[name]);
    if (!Number.isFinite(x)) throw new Error(`${file}:${i + 1}: ${name} "${row[name]}" is not a number`);
    return x;
  };
  if (row.y !== "yes" && row.y !== "no") throw new Error(`${file}:${i + 1}: y "${row.y}" is not yes/no`);
  /** @type {Record<string, string | number>} */
  const profile = { age: int("age") };
  for (const name of TEXT) profile[name] = row[name];
  const pdays = int("pdays");
  if (pdays !== 999) profile.pdays = pdays;
  for (const name of CONTEXT) profile[name.replaceAll(".", "_")] = int(name);
  if (withDuration) profile.duration = int("duration");

  const events = [];
  const lastCall = NOW - HOUR;
  const campaign = int("campaign");
  for (let k = campaign - 1; k >= 0; k -= 1) {
    events.push({ type: "track", event: "Call Made", timestamp: new Date(lastCall - k * DAY).toISOString(),
      properties: { campaign: "current" } });
  }
  const previous = int("previous");
  const latestBefore = lastCall - (pdays === 999 ? 365 : pdays) * DAY;
  for (let j = previous - 1; j >= 0; j -= 1) {
    events.push({ type: "track", event: "Previous Campaign Call",
      timestamp: new Date(latestBefore - j * 7 * DAY).toISOString(), properties: { campaign: "previous" } });
  }
  events.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  out.push(JSON.stringify({ id: i, profile, events, converted: row.y === "yes", now: NOW }));
}
process.stdout.write(out.join("\n") + "\n");
