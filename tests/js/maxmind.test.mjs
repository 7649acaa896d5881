// MaxMindDb.lookupContext (the fields a visitor context reads, decoded
// alone) against the same fields picked from MaxMindDb.lookup's full
// records, over every network of MaxMind's test databases.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const data = (name) => readFileSync(new URL(`../data/maxmind/${name}`, import.meta.url));
const open = (name) => new nurture.MaxMindDb(new Uint8Array(data(`${name}.mmdb`)));

const NETWORK = {
  asn: "autonomous_system_number", asOrganization: "autonomous_system_organization", isp: "isp",
  organization: "organization", domain: "domain", connectionType: "connection_type", userType: "user_type",
};
const useful = (v) => (typeof v === "string" ? v.trim() !== "" : typeof v === "number" || typeof v === "boolean");

/** What src/personalize/context.rs takes from a full record, in JS. */
function fromRecord(r) {
  if (r === null) return null;
  const sub = Array.isArray(r.subdivisions) ? r.subdivisions[0] : undefined;
  const out = {
    country: r.country?.iso_code, countryName: r.country?.names?.en, continent: r.continent?.code,
    region: sub?.iso_code, regionName: sub?.names?.en, city: r.city?.names?.en,
    postalCode: r.postal?.code, timezone: r.location?.time_zone, registeredCountry: r.registered_country?.iso_code,
  };
  for (const [k, key] of Object.entries(NETWORK)) out[k] = useful(r[key]) ? r[key] : r.traits?.[key];
  return Object.fromEntries(Object.entries(out).filter(([, v]) => useful(v)));
}
const sorted = (o) => o && Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

for (const name of ["GeoIP2-City-Test", "GeoIP2-Enterprise-Test", "GeoLite2-ASN-Test", "GeoIP2-Connection-Type-Test", "GeoIP2-Country-Test"]) {
  test(`${name}: lookupContext equals the fields of the full record for every network`, () => {
    const db = open(name);
    const networks = JSON.parse(data(`${name}.json`)).flatMap((o) => Object.keys(o));
    let found = 0;
    for (const network of networks) {
      const ip = network.split("/")[0];
      const fields = db.lookupContext(ip);
      assert.deepEqual(sorted(fields), sorted(fromRecord(db.lookup(ip))), `${name} ${ip}`);
      if (fields !== null && Object.keys(fields).length > 0) found++;
    }
    assert.ok(found > networks.length / 2, `${found} of ${networks.length}`);
  });
}

test("lookupContext answers with the context's names, in a plain object", () => {
  const city = open("GeoIP2-City-Test");
  const fields = city.lookupContext("81.2.69.142");
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
  assert.deepEqual(fields, {
    country: "GB", countryName: "United Kingdom", continent: "EU", region: "ENG", regionName: "England",
    city: "London", timezone: "Europe/London", registeredCountry: "US",
  });
  assert.deepEqual(city.lookupContext("::ffff:81.2.69.142"), fields);
  assert.equal(city.lookupContext("1.1.1.1"), null);
  const asn = open("GeoLite2-ASN-Test");
  assert.deepEqual(asn.lookupContext("1.0.0.1"), { asn: 15169, asOrganization: "Google Inc." });
});

test("lookupContext refuses a malformed address with invalid_argument", () => {
  const city = open("GeoIP2-City-Test");
  for (const bad of ["81.2.69", "not an ip", 42, null, undefined]) {
    assert.throws(() => city.lookupContext(bad), (e) => e instanceof Error && e.code === "invalid_argument" && e.path === "ip", String(bad));
  }
});

test("a damaged record answers null, as it gives a context nothing", () => {
  const broken = open("MaxMind-DB-test-broken-pointers-24");
  assert.deepEqual(broken.lookupContext("1.1.1.1"), {});
  assert.equal(broken.lookupContext("1.1.1.16"), null);
  assert.equal(broken.lookupContext("1.1.1.32"), null);
  assert.equal(open("MaxMind-DB-test-ipv4-24").lookupContext("::1"), null);
});
