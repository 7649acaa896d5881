#!/usr/bin/env node
// Regenerates the disposable-mail data from pinned upstream versions:
//
//   data/email/mailchecker.txt                  shipped (MIT)
//   data/email/disposable_email_blocklist.conf  shipped (CC0)
//   data/email/allowlist.conf                   shipped (CC0)
//   data/email/public_suffixes.txt              shipped (derived from the PSL, MPL-2.0)
//   tests/data/disposable/heldout.tsv           evaluation only, never shipped
//   tests/data/disposable/free-unlisted.txt     evaluation only
//
// and prints the tuning report: which TLDs the throw-away domains that the
// shipped lists miss fall under, measured on the TRAINING half of the
// evaluation lists only (the held-out half is what tests/disposable_eval.rs
// scores; see data/email/README.md).
//
// Usage: node scripts/email-lists.mjs [--mirror DIR]
//   --mirror DIR  read the GitHub sources from bare clones DIR/<owner>+<name>
//                 (or DIR/<owner>+<name>/repo) instead of raw.githubusercontent.com.
// npm packages are fetched with `npm pack` (the registry's own client).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const mirror = args[0] === "--mirror" ? args[1] : null;

// Pinned sources. Update a version here, run the script, review the diff.
const DED = "disposable-email-domains/disposable-email-domains";
const SOURCES = {
  mailchecker: { npm: "mailchecker@6.0.21", file: "platform/node/index.js" },
  ded: { github: DED, commit: "a6458931ee3eee7fbacc867bd43133be0bca6c30", file: "disposable_email_blocklist.conf" },
  dedSuffixes: { github: DED, commit: "a6458931ee3eee7fbacc867bd43133be0bca6c30", file: "publicsuffixlist.local" },
  // Upstream deleted allowlist.conf on 2026-04-12 (0bccfe3); this is its last version.
  dedAllow: { github: DED, commit: "de9d20d740fb58c972e54f0a9fe1f2112a31ac00", file: "allowlist.conf" },
  psl: { npm: "psl@1.15.0", file: "data/rules.js" },
  // Evaluation lists: never shipped.
  ivolo: { npm: "disposable-email-domains@1.0.62", file: "index.json", also: "wildcard.json" },
  wesbos: { github: "wesbos/burner-email-providers", commit: "d676e736ceca59de826b1457878661d7f899c97e", file: "emails.txt" },
  fakefilter: { npm: "fakefilter@0.1.1476", file: "txt/data.txt" },
};
const EVAL_LISTS = ["ivolo", "wesbos", "fakefilter"];
// Must match FREE_TLDS in src/email/lists.rs.
const FREE_TLDS = ["cf", "ga", "gq", "ml", "tk"];

const work = mkdtempSync(path.join(tmpdir(), "email-lists-"));
const npmDirs = new Map();
function npmFile(spec, file) {
  if (!npmDirs.has(spec)) {
    const json = execFileSync("npm", ["pack", spec, "--pack-destination", work, "--json", "--silent"], { encoding: "utf8" });
    const [{ filename }] = JSON.parse(json);
    const dir = path.join(work, filename.replace(/\.tgz$/, ""));
    mkdirSync(dir);
    execFileSync("tar", ["xzf", path.join(work, filename), "-C", dir]);
    npmDirs.set(spec, path.join(dir, "package"));
  }
  return readFileSync(path.join(npmDirs.get(spec), file), "utf8");
}
async function githubFile(repo, commit, file) {
  if (mirror) {
    const base = path.join(mirror, repo.replace("/", "+"));
    const gitDir = existsSync(path.join(base, "repo")) ? path.join(base, "repo") : base;
    return execFileSync("git", ["--git-dir", gitDir, "show", `${commit}:${file}`], { encoding: "utf8", maxBuffer: 1 << 28 });
  }
  const res = await fetch(`https://raw.githubusercontent.com/${repo}/${commit}/${file}`);
  if (!res.ok) throw new Error(`${repo}@${commit}:${file}: HTTP ${res.status}`);
  return res.text();
}
const source = (s, file = s.file) => (s.npm ? npmFile(s.npm, file) : githubFile(s.github, s.commit, file));

/** One domain a line; `#` comments and blank lines dropped; lower-cased. */
const lines = (text) =>
  text
    .split("\n")
    .map((l) => l.split("#")[0].trim().toLowerCase().replace(/\.$/, ""))
    .filter((d) => d.includes("."));
const sorted = (set) => [...set].sort();

// --- the sources ---------------------------------------------------------
const mcJs = await source(SOURCES.mailchecker);
const mcArray = mcJs.match(/new Set\((\[[^\]]*\])\)/);
if (!mcArray) throw new Error("mailchecker: no `new Set([...])` in platform/node/index.js; the package changed shape");
const mailchecker = new Set(JSON.parse(mcArray[1]).map((d) => d.trim().toLowerCase()).filter((d) => d.includes(".")));
const dedText = await source(SOURCES.ded);
const ded = new Set(lines(dedText));
const allowText = await source(SOURCES.dedAllow);
const allow = new Set(lines(allowText));
const localAllow = new Set(lines(readFileSync(path.join(root, "data/email/allowlist-local.conf"), "utf8")));
const dedSuffixes = lines(await source(SOURCES.dedSuffixes));
const rules = new Set([...(await source(SOURCES.psl)).matchAll(/"([^"]+)"/g)].map((m) => m[1]));
const isPublicSuffix = (d) => {
  if (!d.includes(".")) return true;
  if (rules.has(`!${d}`)) return false;
  return rules.has(d) || rules.has(`*.${d.slice(d.indexOf(".") + 1)}`) || dedSuffixes.includes(d);
};
const evalLists = {
  ivolo: new Set(
    [...JSON.parse(await source(SOURCES.ivolo)), ...JSON.parse(await source(SOURCES.ivolo, SOURCES.ivolo.also))]
      .map((d) => d.trim().toLowerCase())
      .filter((d) => d.includes(".")),
  ),
  wesbos: new Set(lines(await source(SOURCES.wesbos))),
  fakefilter: new Set(lines(await source(SOURCES.fakefilter))),
};
const shipped = new Set([...mailchecker, ...ded]);

// Public suffixes where the subdomain walk stops: those the shipped lists
// carry (so only the exact name matches, not every site below it), DED's own
// additions, and the registry zones under the free TLDs (gov.ml, edu.ml ...).
const suffixes = new Set([
  ...[...shipped].filter(isPublicSuffix),
  ...dedSuffixes,
  ...[...rules].filter((r) => !r.startsWith("!") && !r.startsWith("*") && r.includes(".") && FREE_TLDS.includes(r.slice(r.lastIndexOf(".") + 1))),
]);

// --- the shipped files ---------------------------------------------------
const header = (what, licence) =>
  `# ${what}\n# Licence: ${licence}. Regenerate: node scripts/email-lists.mjs (see README.md).\n`;
writeFileSync(
  path.join(root, "data/email/mailchecker.txt"),
  header(`mailchecker ${SOURCES.mailchecker.npm.split("@")[1]} (npm), the list in ${SOURCES.mailchecker.file}`, "MIT, LICENSE-mailchecker.txt") +
    sorted(mailchecker).join("\n") + "\n",
);
writeFileSync(path.join(root, "data/email/disposable_email_blocklist.conf"), dedText);
writeFileSync(path.join(root, "data/email/allowlist.conf"), allowText);
writeFileSync(
  path.join(root, "data/email/public_suffixes.txt"),
  header(
    `Public suffixes where the subdomain walk stops: the Public Suffix List (${SOURCES.psl.npm} data) entries that the shipped lists carry or that lie under a free TLD, and ${DED}'s publicsuffixlist.local`,
    "MPL-2.0 (Public Suffix List), CC0 (publicsuffixlist.local)",
  ) + sorted(suffixes).join("\n") + "\n",
);

// --- the evaluation files ------------------------------------------------
// Held out: the domains whose SHA-256 (of the lower-case name) starts with an
// odd byte; the even half is the training half the rules were tuned on.
const heldOut = (d) => (createHash("sha256").update(d).digest()[0] & 1) === 1;
const rows = new Map();
for (const list of EVAL_LISTS) {
  for (const d of evalLists[list]) if (heldOut(d)) rows.set(d, [...(rows.get(d) ?? []), list]);
}
mkdirSync(path.join(root, "tests/data/disposable"), { recursive: true });
writeFileSync(
  path.join(root, "tests/data/disposable/heldout.tsv"),
  "# The held-out half (first SHA-256 byte odd) of the evaluation lists; see README.md.\n" +
    "# domain\tlists\ton_shipped_list\n" +
    [...rows.keys()].sort().map((d) => `${d}\t${rows.get(d).join(",")}\t${shipped.has(d) ? 1 : 0}`).join("\n") + "\n",
);
const anyList = (d) => shipped.has(d) || EVAL_LISTS.some((l) => evalLists[l].has(d));
const free = JSON.parse(readFileSync(path.join(root, "data/email/free-email-domains.json"), "utf8")).map((d) => d.toLowerCase());
const freeUnlisted = new Set(free.filter((d) => !anyList(d)));
writeFileSync(
  path.join(root, "tests/data/disposable/free-unlisted.txt"),
  "# Free-mail providers (data/email/free-email-domains.json) that no disposable list\n# here names, shipped or evaluation: flagging one is most likely a false positive.\n" +
    sorted(freeUnlisted).join("\n") + "\n",
);

// --- the tuning report (training half only) ------------------------------
// The lookup of src/email/lists.rs without its general rules: the domain or
// a parent on the shipped lists, the allowlists first, stopping at suffixes.
const allowAll = new Set([...allow, ...localAllow]);
function listed(d) {
  for (let c = d; c.includes("."); c = c.slice(c.indexOf(".") + 1)) {
    if (allowAll.has(c)) return false;
    if (c !== d && suffixes.has(c)) return false;
    if (shipped.has(c)) return true;
  }
  return false;
}
const tld = (d) => d.slice(d.lastIndexOf(".") + 1);
const missed = {};
for (const list of EVAL_LISTS) missed[list] = [...evalLists[list]].filter((d) => !heldOut(d) && !listed(d));
const legit = [...freeUnlisted, ...allowAll];
const count = (arr) => {
  const m = new Map();
  for (const d of arr) m.set(tld(d), (m.get(tld(d)) ?? 0) + 1);
  return m;
};
const byTld = Object.fromEntries(EVAL_LISTS.map((l) => [l, count(missed[l])]));
const legitByTld = count(legit);
const allMissed = count(EVAL_LISTS.flatMap((l) => missed[l]));
const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) : "0.0");
console.log(`shipped: mailchecker ${mailchecker.size} + DED ${ded.size} = ${shipped.size} domains; allowlist ${allow.size} + local ${localAllow.size}; suffixes ${suffixes.size}`);
for (const l of EVAL_LISTS) console.log(`${l}: ${evalLists[l].size} domains, ${[...evalLists[l]].filter(heldOut).length} held out`);
console.log(`held-out rows: ${rows.size}; free providers on no list: ${freeUnlisted.size}`);
console.log(`on the shipped lists: ${[...allow].filter((d) => shipped.has(d)).length} of ${allow.size} allowlist entries, ${[...localAllow].filter((d) => shipped.has(d)).length} of ${localAllow.size} local allowlist entries`);
console.log("\nTraining half: TLDs of the domains the shipped lists miss (share of each list's misses), and how many legitimate providers (allowlists + unlisted free providers) share the TLD:");
console.log(["tld", ...EVAL_LISTS.map((l) => `${l} (${missed[l].length})`), `legit (${legit.length})`].join("\t"));
for (const [t] of [...allMissed].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log([t, ...EVAL_LISTS.map((l) => `${byTld[l].get(t) ?? 0} (${pct(byTld[l].get(t) ?? 0, missed[l].length)} %)`), legitByTld.get(t) ?? 0].join("\t"));
}
const freeMissed = (l) => missed[l].filter((d) => FREE_TLDS.includes(tld(d))).length;
console.log(`\nfree TLDs (${FREE_TLDS.join(" ")}): ${EVAL_LISTS.map((l) => `${l} ${pct(freeMissed(l), missed[l].length)} %`).join(", ")} of the misses; legit providers there: ${legit.filter((d) => FREE_TLDS.includes(tld(d))).length}`);
rmSync(work, { recursive: true, force: true });
