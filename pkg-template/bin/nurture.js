#!/usr/bin/env node
// npx nurture keygen [--kid NAME] [--token]
//   prints a key for NURTURE_KEYS (kid:secret, 32 random bytes as base64url),
//   or with --token a bearer token for ADMIN_TOKEN / INGEST_TOKEN.
// npx nurture init-worker [DIR]
//   writes a deployable Worker project into DIR (default .): wrangler.toml
//   and src/index.js, which re-exports "nurture/worker". Existing files are
//   never overwritten.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const USAGE = `usage:
  nurture keygen [--kid NAME] [--token]   a key for NURTURE_KEYS (kid:secret), or --token: one for ADMIN_TOKEN / INGEST_TOKEN
  nurture init-worker [DIR]               wrangler.toml and src/index.js for deploying the edge worker`;

const [command, ...args] = process.argv.slice(2);

/** @param {string} message */
function fail(message) {
  console.error(`nurture: ${message}\n${USAGE}`);
  process.exit(2);
}

function keygen() {
  let kid = `k${new Date().toISOString().slice(0, 10).replaceAll("-", "")}`;
  let token = false;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === "--token") token = true;
    else if (args[i] === "--kid") {
      kid = args[i + 1] ?? "";
      i += 1;
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) fail("--kid takes 1-32 of A-Z a-z 0-9 _ -");
    } else fail(`unknown option ${args[i]}`);
  }
  const secret = randomBytes(32).toString("base64url");
  console.log(token ? secret : `${kid}:${secret}`);
}

function initWorker() {
  if (args.length > 1) fail("init-worker takes one directory");
  const dir = path.resolve(args[0] ?? ".");
  const template = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "worker", "template");
  for (const file of ["wrangler.toml", "src/index.js"]) {
    const to = path.join(dir, file);
    if (existsSync(to)) {
      console.log(`kept ${path.relative(process.cwd(), to) || to} (it exists)`);
      continue;
    }
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(path.join(template, file), to);
    console.log(`wrote ${path.relative(process.cwd(), to)}`);
  }
  console.log("next: edit wrangler.toml (routes, ORIGIN_URL, the KV namespace id), then follow \"Deploying the edge worker\" in node_modules/nurture/README.md");
}

if (command === "keygen") keygen();
else if (command === "init-worker") initWorker();
else if (command === undefined || command === "--help" || command === "-h") console.log(USAGE);
else fail(`unknown command ${command}`);
