// Makes visitor tokens in Node the way the worker does, to forge, expire and
// rotate them in tests.
import { createHmac, randomBytes } from "node:crypto";

export function makeToken({ kid = "k2", secret = "second-secret-0123456789", visitorId = randomBytes(16).toString("base64url"), iat = Math.floor(Date.now() / 1000) } = {}) {
  const payload = `v1.${kid}.${visitorId}.${iat}`;
  return `${payload}.${createHmac("sha256", secret).update(payload).digest("base64url")}`;
}
