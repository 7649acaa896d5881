#!/usr/bin/env python3
"""Accuracy of `calibrate` against reference models, on any labelled leads.

    python3 bench/calibrate/compare.py LEADS.jsonl [--folds 5] [--seed 1] [--pkg pkg]

LEADS is JSON Lines (or a JSON array) of lead records, the shape
`calibrate` takes: {"profile": {...}, "events": [Segment page/track events],
"converted": true|false, "now"?: ms}. Nothing else about the data is
assumed, so the same command runs on data this project never saw.

All three models are scored out of fold on the same stratified folds:

- nurture: `calibrate` on the training folds and `new Model(model).score`
  on the held-out fold, through the built package (bench/calibrate/folds.mjs);
  the score is `probability`, the model's calibration of its total points
  (fit + engagement): within a fold the same order as the points, and
  comparable across folds, whose models each put the zero of their points
  elsewhere (the AUC of all folds pooled needs that).
- logistic regression (scikit-learn, L2, C chosen by inner 5-fold CV, on
  standardized features) and gradient boosting (scikit-learn
  HistGradientBoostingClassifier), both fitted on one feature table built
  here from the same lead records: every profile field (numbers as value,
  log value and a missing flag; text as one-hot of values on at least 1% of
  the leads, plus missing), and from the events: counts per event name, per
  page section (first path segment) and for long reads (60 s+), the same
  counts decayed with a 14-day half-life, page views / events / visits /
  reading minutes in the last 7, 30 and 90 days, and days since the last
  event. Fields that `calibrate` flagged as leaks in any fold are dropped
  from the table too, so every model sees the same information.

Prints the out-of-fold AUC of each and whether nurture is within 0.01 of the
logistic regression and within 0.02 of gradient boosting. Needs
`pip install scikit-learn` (benchmark only; nothing of it ships).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime

import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DAY = 86_400_000
warnings.filterwarnings("ignore", category=FutureWarning)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_leads(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def millis(value):
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    return None


def number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").rstrip("+")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def event_parts(event):
    kind = event.get("type")
    name = "page" if kind == "page" else str(event.get("event", kind)).strip().lower()
    props = event.get("properties") or {}
    url = props.get("path") or props.get("url") or ""
    path = url.split("://", 1)[-1]
    if "://" in url:
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    section = "/" + path.split("?")[0].strip("/").split("/")[0].lower() if kind == "page" else None
    dwell = props.get("dwellSeconds")
    dwell = float(dwell) if isinstance(dwell, (int, float)) and not isinstance(dwell, bool) else 0.0
    return name, section, dwell


def features(leads, nows, dropped, min_share=0.01):
    """One row per lead; columns described in the module docs."""
    n = len(leads)
    fields = sorted({k for lead in leads for k in (lead.get("profile") or {})} - set(dropped))
    columns = defaultdict(lambda: np.zeros(n))
    for field in fields:
        values = [(lead.get("profile") or {}).get(field) for lead in leads]
        present = [v for v in values if v not in (None, "")]
        nums = [number(v) for v in present]
        if present and sum(x is not None for x in nums) >= 0.9 * len(present):
            for i, v in enumerate(values):
                x = number(v) if v not in (None, "") else None
                if x is None:
                    columns[f"{field}:missing"][i] = 1
                else:
                    columns[f"{field}:value"][i] = x
                    columns[f"{field}:log"][i] = math.copysign(math.log1p(abs(x)), x)
        else:
            counts = defaultdict(int)
            for v in present:
                counts[str(v).strip().lower()] += 1
            keep = {v for v, c in counts.items() if c >= min_share * n}
            for i, v in enumerate(values):
                if v in (None, ""):
                    columns[f"{field}:missing"][i] = 1
                elif str(v).strip().lower() in keep:
                    columns[f"{field}={str(v).strip().lower()}"][i] = 1
    names = defaultdict(int)
    for lead in leads:
        seen = set()
        for e in lead.get("events") or []:
            name, section, _ = event_parts(e)
            seen.add(f"event:{name}")
            if section:
                seen.add(f"page:{section}")
        for s in seen:
            names[s] += 1
    keep = {s for s, c in names.items() if c >= min_share * n and s[len(s.split(":")[0]) + 1:] not in dropped
            and s not in dropped}
    for i, (lead, now) in enumerate(zip(leads, nows)):
        times = []
        for e in lead.get("events") or []:
            t = millis(e.get("timestamp"))
            if t is None:
                continue
            name, section, dwell = event_parts(e)
            age = max(0.0, (now - t) / DAY)
            decay = 0.5 ** (age / 14)
            keys = [f"event:{name}"] + ([f"page:{section}"] if section else [])
            if name == "page" and dwell >= 60:
                keys.append("read60")
            for key in keys:
                if key in keep or key == "read60":
                    columns[f"{key}:count"][i] += 1
                    columns[f"{key}:decayed"][i] += decay
            for days in (7, 30, 90):
                if age < days:
                    columns[f"events:{days}d"][i] += 1
                    if name == "page":
                        columns[f"pageviews:{days}d"][i] += 1
                        columns[f"reading:{days}d"][i] += dwell / 60
            times.append(t)
        times.sort()
        for days in (7, 30, 90):
            recent = [t for t in times if (now - t) / DAY < days]
            columns[f"visits:{days}d"][i] = sum(1 for a, b in zip([None] + recent, recent)
                                                if a is None or b - a >= 30 * 60_000)
        columns["days_since_last"][i] = (now - times[-1]) / DAY if times else 365.0
    keys = sorted(columns)
    return np.column_stack([columns[k] for k in keys]) if keys else np.zeros((n, 1)), keys


def stratified_folds(labels, k, seed):
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(labels), dtype=int)
    for cls in (True, False):
        members = np.array([i for i, y in enumerate(labels) if y == cls])
        rng.shuffle(members)
        folds[members] = np.arange(len(members)) % k
    return folds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("leads")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pkg", default=os.path.join(ROOT, "pkg"))
    parser.add_argument("--keys", action="store_true", help="also print key=value lines for scripts/bench.sh")
    args = parser.parse_args()

    leads = read_leads(args.leads)
    labels = np.array([bool(lead["converted"]) for lead in leads])
    newest = max((millis(e.get("timestamp")) or 0 for lead in leads for e in lead.get("events") or []), default=0)
    nows = [millis(lead.get("now")) or newest for lead in leads]
    folds = stratified_folds(labels, args.folds, args.seed)

    start = time.time()
    out = subprocess.run(
        ["node", os.path.join(ROOT, "bench", "calibrate", "folds.mjs"), args.pkg],
        input=json.dumps({"leads": leads, "folds": folds.tolist(), "now": newest}),
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        sys.exit(f"folds.mjs failed:\n{out.stderr}")
    ours = json.loads(out.stdout)
    nurture_seconds = time.time() - start

    X, names = features(leads, nows, set(ours["leaks"]))
    lr_scores = np.zeros(len(leads))
    gb_scores = np.zeros(len(leads))
    for fold in range(args.folds):
        train, test = folds != fold, folds == fold
        lr = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=10, cv=5, max_iter=2000, scoring="neg_log_loss"))
        lr.fit(X[train], labels[train])
        lr_scores[test] = lr.predict_proba(X[test])[:, 1]
        gb = HistGradientBoostingClassifier(random_state=args.seed)
        gb.fit(X[train], labels[train])
        gb_scores[test] = gb.predict_proba(X[test])[:, 1]

    auc = {
        "nurture": roc_auc_score(labels, ours["probability"]),
        "logistic regression": roc_auc_score(labels, lr_scores),
        "gradient boosting": roc_auc_score(labels, gb_scores),
    }
    print(f"{len(leads)} leads, {int(labels.sum())} converted, {args.folds}-fold CV, {X.shape[1]} reference features")
    print(f"leaks left out (flagged by calibrate): {', '.join(ours['leaks']) or 'none'}")
    for name, value in auc.items():
        print(f"  {name:20s} AUC {value:.4f}")
    print(f"  calibrate per fold: {', '.join(f'{s:.1f}' for s in ours['seconds'])} s (wasm in Node); "
          f"nurture total {nurture_seconds:.1f} s")
    lr_gap = auc["logistic regression"] - auc["nurture"]
    gb_gap = auc["gradient boosting"] - auc["nurture"]
    ok = lr_gap <= 0.01 and gb_gap <= 0.02
    print(f"nurture vs LR: {-lr_gap:+.4f} (must be ≥ -0.01); vs GB: {-gb_gap:+.4f} (must be ≥ -0.02): "
          + ("PASS" if ok else "FAIL"))
    if args.keys:
        # For scripts/bench.sh.
        print(f"calibrate.acc_leads={len(leads)}")
        for key, name in (("nurture", "nurture"), ("lr", "logistic regression"), ("gb", "gradient boosting")):
            print(f"calibrate.auc_{key}={auc[name]:.4f}")
        print(f"calibrate.ref_features={X.shape[1]}")
        print(f"calibrate.vs_lr={-lr_gap:+.4f}")
        print(f"calibrate.vs_gb={-gb_gap:+.4f}")
        print(f"calibrate.check={'PASS' if ok else 'FAIL'}")
        print(f"calibrate.cv_seconds={nurture_seconds:.1f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
