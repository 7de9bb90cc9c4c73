/* Service worker of the officer app: the page works offline after one online visit.
 *
 * - The app shell (page, script, QR decoder, manifest, icon) is cached at install, keyed by
 *   VERSION, a hash of those files that the service writes in when it serves this script: a
 *   new release changes these bytes, the browser installs the new worker, old caches go.
 *   Shell requests are answered from the cache first (instant in a car park).
 * - The data (JWK set, revocation list, permit types) is fetched from the network first and
 *   cached on every success, so the phone keeps the newest list it ever saw; without a
 *   network (or after NETWORK_WAIT_MS) the cached copy answers.
 * - POST api/verify is never cached: an online verdict must be a live one.
 */
"use strict";

const VERSION = "__OFFICER_VERSION__";
const SHELL_CACHE = `officer-shell-${VERSION}`;
const DATA_CACHE = "officer-data";
const SHELL = ["v", "officer/app.js", "officer/jsqr.js", "officer/manifest.webmanifest", "officer/icon.svg"];
const DATA = [".well-known/permit-keys.json", ".well-known/permit-status.json", "officer/permit-types.json"];
const NETWORK_WAIT_MS = 4000;

const base = new URL("./", self.location.href);
const absolute = (path) => new URL(path, base).href;
const SHELL_URLS = new Set(SHELL.map(absolute));
const DATA_URLS = new Set(DATA.map(absolute));
const PAGE_URL = absolute("v");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    await shell.addAll(SHELL.map((path) => new Request(absolute(path), { cache: "reload" })));
    const data = await caches.open(DATA_CACHE);
    await data.addAll(DATA.map((path) => new Request(absolute(path), { cache: "no-cache" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("officer-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const fromShell = async (url) => {
  const cached = await caches.match(url, { cacheName: SHELL_CACHE });
  return cached || fetch(url);
};

const networkFirst = async (request) => {
  const cache = await caches.open(DATA_CACHE);
  const network = fetch(request.url, { cache: "no-cache", credentials: "omit" }).then(async (response) => {
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first && first.ok) return first;
  } catch (_) { /* offline: the cache answers */ }
  const cached = await cache.match(request.url);
  if (cached) return cached;
  return network;
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const bare = `${url.origin}${url.pathname}`;
  if (request.mode === "navigate" && bare === PAGE_URL) {
    event.respondWith(fromShell(PAGE_URL)); // any #token or ?query: the same page
  } else if (SHELL_URLS.has(bare)) {
    event.respondWith(fromShell(bare));
  } else if (DATA_URLS.has(bare)) {
    event.respondWith(networkFirst(request));
  }
});
