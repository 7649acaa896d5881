#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/
from the project's own test data. Run once to (re)seed; the fuzzer then
grows the corpus and `cargo fuzz cmin` keeps it small. Multi-part inputs are
NUL-separated (see fuzz/harness.rs)."""
import hashlib, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
NOW = 1_767_225_600_000
DAY = 86_400_000


def read(path, mode="r"):
    with open(os.path.join(ROOT, path), mode) as f:
        return f.read()


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def nul(*parts):
    return b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)


def j(v):
    return json.dumps(v, separators=(",", ":"))


events = []
paths = ["/", "/pricing", "/case-studies/refinery", "/blog/edge-scoring", "/industries/retail", "/careers", "/demo"]
tracks = ["Download", "Webinar Attended", "Email Opened", "Form Submitted"]
for i in range(12):
    ts = NOW - i * 7 * DAY // 3
    if i % 4 == 3:
        events.append({"type": "track", "event": tracks[i % 4], "timestamp": ts, "messageId": f"m{i}", "properties": {"tags": ["retail"]}})
    else:
        events.append({"type": "page", "timestamp": ts, "messageId": f"m{i}", "properties": {"path": paths[i % 7], "dwellSeconds": i * 13, "tags": ["retail", "oil & gas"]}})
odd_events = [
    {"type": "track"},
    {"type": "page", "timestamp": -8.64e15, "properties": {"path": "/pricing"}},
    {"type": "page", "timestamp": 1e300},
    {"type": "identify", "timestamp": "2025-12-30T10:00:00Z", "traits": {"email": "a@b.example"}},
    {"type": "page", "timestamp": NOW, "messageId": "m1"},
    {"type": "page", "timestamp": NOW, "messageId": "m1"},
    {"type": "track", "event": "Download", "timestamp": NOW + 10 * 60_000},
    {"type": "page", "context": {"page": {"url": "https://x.example/pricing?utm_source=ad"}}, "timestamp": NOW - DAY},
]
profile = {"email": "anna.k@shopwise.example", "title": "Marketing Manager", "company": "ShopWise",
           "industry": "Retail", "companySize": "201-500", "country": "SG", "phone": "+65 6123 4567"}

model = read("src/score/default_model.json")
put("model", model)
put("model", nul(model, j({"profile": profile, "events": events})))
put("model", nul(model, j(odd_events)))
put("model", nul(j({"version": 1}), j({"profile": {}, "events": events[:3]})))
put("events", j(events))
put("events", j(odd_events))
put("events", j({"profile": profile, "events": events, "now": NOW}))
put("events", j({"profile": {"email": "x@gmail.com", "title": "student"}, "events": [], "now": "2026-01-01T00:00:00Z"}))

visitors = [
    {"id": "v-1", "ip": "203.0.113.7", "page": {"path": "/industries/retail", "url": "https://x.example/?utm_campaign=oil"}},
    {"id": 42, "ip": "2001:db8::1", "score": {"tier": "hot", "stage": "decision", "interests": [{"tag": "retail", "weight": 3}]}},
    {"id": "v-3", "ip": "81.2.69.160", "request": {"country": "GB", "asn": 13335, "city": "London"}, "profile": profile, "seen": {"slots": {}}},
    {"id": "v-4"},
]
for cfg in ["tests/data/site-config.json", "demo/site-config.json"]:
    text = read(cfg)
    for v in visitors:
        put("personalize", nul(text, j(v)))
put("personalize", nul("{}", j(visitors[0])))

form_docs = [read("bench/contact-form.json")]
wf = json.loads(read("demo/forms.json"))
if isinstance(wf, dict):
    for v in wf.values():
        if isinstance(v, dict):
            form_docs.append(j(v))
elif isinstance(wf, list):
    form_docs += [j(v) for v in wf]
subs = [
    {"email": "anna.k@shopwise.example", "firstName": "Anna", "company": "ShopWise", "phone": "+1 415 555 2671", "country": "US", "consent": True},
    {"email": "not an email", "website": "http://spam.example"},
    {},
]
for doc in form_docs:
    for s in subs:
        put("forms", nul(doc, j(s), j({"email": "anna.k@shopwise.example", "company": "ShopWise"})))
    put("forms", nul(doc, j(subs[0])))

put("cidr", read("tests/data/accounts.csv"))
put("cidr", j([{"cidr": "203.0.113.0/24", "company": "Example", "tier": "gold", "size": 120},
               {"network": "2001:db8::/32", "company": "Six"}, {"cidr": "203.0.113.0/40"}, {"company": "NoCidr"}, 42,
               {"cidr": 7}, {"cidr": "198.51.100.1/24", "company": "Masked"}]))
put("cidr", "{\"cidr\": \"10.0.0.0/8\", \"company\": \"A\"}\n\n{\"cidr\": \"11.0.0.0/8\", \"company\": \n{\"cidr\": \"12.0.0.0/8\", \"company\": \"C\"}\n")
put("cidr", "cidr,company\n\"10.0.0.0/8\",\"A, \"\"quoted\"\"\"\n::ffff:1.2.3.0/120,Mapped\n0.0.0.0/0,All\n")

for name in sorted(os.listdir(os.path.join(ROOT, "tests/data/maxmind"))):
    path = os.path.join("tests/data/maxmind", name)
    # The small files only: the corpus stays small, the structure is the same.
    if name.endswith(".mmdb") and os.path.getsize(os.path.join(ROOT, path)) < 16_000:
        put("mmdb", read(path, "rb"))

gb = json.loads(read("tests/data/vectors/growthbook-cases.json"))
for case in gb["evalCondition"]:
    # [name, condition, attributes, expected, savedGroups?]
    cond, attrs = case[1], case[2]
    groups = case[4] if len(case) > 4 else None
    parts = [j(cond), j(attrs)] + ([j(groups)] if groups is not None else [])
    put("condition", nul(*parts))

cases = json.loads(read("tests/data/forms/email_cases.json"))
for group in cases.values():
    for c in group.get("cases", [])[:40] if isinstance(group, dict) else []:
        if isinstance(c, dict) and isinstance(c.get("input"), str):
            put("contact", "\n" + c["input"])
for region, number in [("US", "+1 415 555 2671"), ("DE", "030 1234567"), ("GB", "07700 900123"), ("", "+86 10 1234 5678"),
                       ("SG", "6123 4567"), ("US", "(555) 555-5555"), ("XX", "+999 1"), ("IN", "+91 98765 43210 ext. 12")]:
    put("contact", f"{region}\n{number}")
