// Writes the benchmark visitor as JSON for the native benchmark.
import { writeFileSync } from "node:fs";
import { heavyVisitor, profile } from "./visitor.json.mjs";
const now = Date.UTC(2026, 10, 25, 18, 42);
writeFileSync(process.argv[2], JSON.stringify({ now, profile, events: heavyVisitor(now) }));
