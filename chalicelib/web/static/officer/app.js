/* The officer app: checks a permit's QR token in the page, with or without a network.
 *
 * 1. The token is decoded exactly as chalicelib/domain/token.py decodes it (same lengths,
 *    same order of checks, same rejection reasons) and its ECDSA P-256 signature is checked
 *    with WebCrypto against the published JWK set. tests/vectors/tokens.json, generated from
 *    the Python codec, runs through both decoders and must give identical answers.
 * 2. Revocations come from the signed list at .well-known/permit-status.json (a JWS with an
 *    unencoded payload, Rice-coded serials; see chalicelib/domain/status_list.py).
 * 3. When the service answers POST api/verify, its verdict wins ("online bestätigt");
 *    otherwise the local verdict stands and names the list it used ("offline geprüft,
 *    Sperrliste von 14:05"). A list past its "exp" never yields plain green.
 * The service worker (officer-sw.js) keeps page, script, keys and list for offline use.
 */
(() => {
  "use strict";

  // -- token codec (mirror of chalicelib/domain/token.py) ----------------------------------
  const VERSION_1_ES256 = 0x11;
  const SIGNATURE_LENGTH = 64;
  const HEADER_LENGTH = 13;
  const MAX_PLATES = 4;
  const MAX_PLATE_LENGTH = 10;
  const MIN_TOKEN_LENGTH = HEADER_LENGTH + 1 + 2 + SIGNATURE_LENGTH;
  const MAX_TOKEN_LENGTH = HEADER_LENGTH + 1 + MAX_PLATES * (1 + MAX_PLATE_LENGTH) + SIGNATURE_LENGTH;
  const MAX_TEXT_DIGITS = 295;
  const P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;
  const P256_HALF_N = P256_N >> 1n;
  const EPOCH_MS = Date.UTC(2020, 0, 1);
  const DAY_MS = 86400000;
  const ECDSA = { name: "ECDSA", hash: "SHA-256" };

  class Rejected extends Error {
    constructor(reason) { super(reason); this.reason = reason; }
  }

  const isZoneByte = (b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
  const isPlateByte = (b) => isZoneByte(b) || b === 0xc4 || b === 0xd6 || b === 0xdc;
  const latin1 = (bytes) => String.fromCharCode(...bytes);
  const isoDay = (days) => new Date(EPOCH_MS + days * DAY_MS).toISOString().slice(0, 10);
  const bigFrom = (bytes) => {
    let value = 0n;
    for (const b of bytes) value = (value << 8n) | BigInt(b);
    return value;
  };
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  /** Decimal text (the QR fragment) -> token bytes; strict inverse of token_to_text. */
  const bytesFromText = (text) => {
    if (typeof text !== "string" || text.length > MAX_TEXT_DIGITS || !/^[1-9][0-9]*$/.test(text)) {
      throw new Rejected("text");
    }
    let hex = BigInt(text).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    const raw = new Uint8Array(hex.length / 2);
    for (let i = 0; i < raw.length; i += 1) raw[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    if (raw[0] !== 0x01) throw new Rejected("sentinel");
    return raw.subarray(1);
  };

  /** The signed part -> { keyId, claims }; same checks in the same order as _decode_body. */
  const decodeBody = (body) => {
    if (body.length < HEADER_LENGTH + 1) throw new Rejected("length");
    if (body[0] !== VERSION_1_ES256) throw new Rejected("version");
    const keyId = body[1];
    const serial = body[2] * 0x1000000 + body[3] * 0x10000 + body[4] * 0x100 + body[5];
    let zoneEnd = 8;
    while (zoneEnd > 6 && body[zoneEnd - 1] === 0) zoneEnd -= 1;
    const zone = body.subarray(6, zoneEnd);
    const type = body[8];
    const from = body[9] * 256 + body[10];
    const to = body[11] * 256 + body[12];
    const count = body[13];
    if (count < 1 || count > MAX_PLATES) throw new Rejected("plate_count");
    const plates = [];
    let offset = HEADER_LENGTH + 1;
    for (let i = 0; i < count; i += 1) {
      if (offset >= body.length) throw new Rejected("truncated");
      const length = body[offset];
      const raw = body.subarray(offset + 1, offset + 1 + length);
      if (raw.length !== length) throw new Rejected("truncated");
      plates.push(raw);
      offset += 1 + length;
    }
    if (offset !== body.length) throw new Rejected("trailing");
    if (zone.length < 1 || zone.length > 2 || !zone.every(isZoneByte)) throw new Rejected("zone");
    if (to < from) throw new Rejected("dates");
    for (const raw of plates) {
      if (raw.length < 1 || raw.length > MAX_PLATE_LENGTH || !raw.every(isPlateByte)) {
        throw new Rejected("plate");
      }
    }
    return {
      keyId,
      claims: {
        serial, zone: latin1(zone), type,
        valid_from: isoDay(from), valid_to: isoDay(to), plates: plates.map(latin1),
      },
    };
  };

  /** Token bytes -> { keyId, claims } or Rejected; keys: Map(key id -> CryptoKey). */
  const verifyBytes = async (token, keys) => {
    if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) throw new Rejected("length");
    const body = token.subarray(0, token.length - SIGNATURE_LENGTH);
    const signature = token.subarray(token.length - SIGNATURE_LENGTH);
    const decoded = decodeBody(body);
    const key = keys.get(decoded.keyId);
    if (!key) throw new Rejected("unknown_key");
    const r = bigFrom(signature.subarray(0, 32));
    const s = bigFrom(signature.subarray(32));
    if (!(r > 0n && r < P256_N && s > 0n && s <= P256_HALF_N)) throw new Rejected("signature_range");
    if (!(await crypto.subtle.verify(ECDSA, key, signature, body))) throw new Rejected("signature");
    return decoded;
  };

  /** Text -> { ok, hex, keyId, claims } or { ok: false, hex, reason }: what the vectors compare. */
  const checkText = async (text, keys) => {
    let token = null;
    try {
      token = bytesFromText(text);
      const { keyId, claims } = await verifyBytes(token, keys);
      return { ok: true, hex: toHex(token), key_id: keyId, claims };
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      return { ok: false, hex: token === null ? null : toHex(token), reason: error.reason };
    }
  };

  // -- keys ---------------------------------------------------------------------------------
  const TOKEN_KID = /^(0|[1-9][0-9]{0,2})$/;
  const LIST_KID = /^status-[0-9]{1,3}$/;

  /** JWK set -> { token: Map(int -> key), list: Map(kid -> key) }; a kid listed twice is refused. */
  const importKeys = async (jwks) => {
    const entries = jwks && Array.isArray(jwks.keys) ? jwks.keys : [];
    const counts = new Map();
    for (const jwk of entries) if (jwk && typeof jwk.kid === "string") counts.set(jwk.kid, (counts.get(jwk.kid) || 0) + 1);
    const token = new Map();
    const list = new Map();
    for (const jwk of entries) {
      if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256" || (jwk.alg !== undefined && jwk.alg !== "ES256")) continue;
      const kid = jwk.kid;
      if (typeof kid !== "string" || counts.get(kid) !== 1) continue;
      const tokenKid = TOKEN_KID.test(kid) && Number(kid) <= 255;
      if (!tokenKid && !LIST_KID.test(kid)) continue;
      let key;
      try {
        key = await crypto.subtle.importKey(
          "jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
          { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      } catch (_) { continue; }
      if (tokenKid) token.set(Number(kid), key); else list.set(kid, key);
    }
    return { token, list };
  };

  // -- status list (mirror of chalicelib/domain/status_list.py) -------------------------------
  const LIST_TYPE = "permit-status-list+json";
  const MAX_SERIAL = 0xFFFFFFFF;

  const b64urlBytes = (text) => {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Rejected("list_format");
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };

  const riceDecode = (count, k, data) => {
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(k) || k < 0 || k > 32) throw new Rejected("list_format");
    const total = data.length * 8;
    let position = 0;
    const bit = () => {
      if (position >= total) throw new Rejected("list_format");
      const value = (data[position >> 3] >> (7 - (position & 7))) & 1;
      position += 1;
      return value;
    };
    const scale = 2 ** k;
    const values = [];
    let previous = -1;
    for (let i = 0; i < count; i += 1) {
      let quotient = 0;
      while (bit()) { quotient += 1; if (quotient > MAX_SERIAL) throw new Rejected("list_format"); }
      let remainder = 0;
      for (let j = 0; j < k; j += 1) remainder = remainder * 2 + bit();
      previous = previous + 1 + quotient * scale + remainder;
      if (previous > MAX_SERIAL) throw new Rejected("list_format");
      values.push(previous);
    }
    if (total - position >= 8) throw new Rejected("list_format");
    while (position < total) if (bit()) throw new Rejected("list_format");
    return values;
  };

  /** The envelope text -> { kid, iat, exp, revoked: Set, superseded: Set } or Rejected. */
  const parseStatusList = async (text, listKeys) => {
    let outer;
    let header;
    try {
      outer = JSON.parse(text);
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlBytes(outer.protected)));
    } catch (_) { throw new Rejected("list_format"); }
    if (!header || typeof header !== "object" || Object.keys(header).length !== 5 || header.alg !== "ES256" ||
        header.b64 !== false || !Array.isArray(header.crit) || header.crit.length !== 1 ||
        header.crit[0] !== "b64" || header.typ !== LIST_TYPE || typeof header.kid !== "string") {
      throw new Rejected("list_format");
    }
    const key = listKeys.get(header.kid);
    if (!key) throw new Rejected("unknown_key");
    const signature = b64urlBytes(outer.signature);
    if (signature.length !== SIGNATURE_LENGTH || typeof outer.payload !== "string" || !/^[\x00-\x7f]*$/.test(outer.payload)) {
      throw new Rejected("list_format");
    }
    const signed = new TextEncoder().encode(`${outer.protected}.${outer.payload}`);
    if (!(await crypto.subtle.verify(ECDSA, key, signature, signed))) throw new Rejected("signature");
    let payload;
    try { payload = JSON.parse(outer.payload); } catch (_) { throw new Rejected("list_format"); }
    if (!payload || payload.v !== 1 || !Number.isInteger(payload.iat) || !Number.isInteger(payload.exp)) throw new Rejected("list_format");
    const decode = (part) => {
      if (!part || typeof part.rice !== "string") throw new Rejected("list_format");
      return new Set(riceDecode(part.n, part.k, b64urlBytes(part.rice)));
    };
    return {
      kid: header.kid, iat: payload.iat, exp: payload.exp,
      revoked: decode(payload.revoked), superseded: decode(payload.superseded),
    };
  };

  // -- verdicts -------------------------------------------------------------------------------
  const BERLIN_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" });

  /** The same rules as services/verification.verdict, with the list in place of the table. */
  const offlineVerdict = (claims, list, now) => {
    if (list && list.revoked.has(claims.serial)) return "revoked";
    if (list && list.superseded.has(claims.serial)) return "superseded";
    const today = BERLIN_DAY.format(now);
    if (today < claims.valid_from) return "not_yet_valid";
    if (today > claims.valid_to) return "expired";
    if (!list || now.getTime() >= list.exp * 1000) return "stale_list";
    return "valid";
  };

  // Exposed for the shared test vectors and the benchmark; the app itself uses them directly.
  window.permitCheck = Object.freeze({
    checkText, importKeys, parseStatusList, offlineVerdict, riceDecode, bytesFromText,
  });

  // -- the app -------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const WORDS = {
    valid: ["✔ GÜLTIG", "✔ VALID"],
    expired: ["✖ ABGELAUFEN", "✖ EXPIRED"],
    revoked: ["✖ WIDERRUFEN", "✖ REVOKED"],
    not_yet_valid: ["✖ NOCH NICHT GÜLTIG", "✖ NOT YET VALID"],
    superseded: ["✖ ERSETZT", "✖ SUPERSEDED"],
    invalid: ["✖ UNGÜLTIG", "✖ INVALID"],
    stale_list: ["⚠ NICHT BESTÄTIGT", "⚠ NOT CONFIRMED"],
    pending: ["Wird geprüft …", "Checking …"],
    no_token: ["Bereit zum Scannen", "Ready to scan"],
    error: ["⚠ PRÜFUNG NICHT MÖGLICH", "⚠ CHECK NOT POSSIBLE"],
  };
  const ONLINE_WAIT_MS = 1200; // how long the local verdict waits for the service's answer
  const ONLINE_TIMEOUT_MS = 8000;
  const REFRESH_MS = 5 * 60 * 1000;
  const state = { keys: null, list: null, types: {}, generation: 0 };

  const fetchJson = async (url) => {
    const response = await fetch(url, { cache: "no-cache", credentials: "omit" });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.text();
  };

  const listTime = (list) => {
    const made = new Date(list.iat * 1000);
    const time = made.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
    const sameDay = made.toDateString() === new Date().toDateString();
    return sameDay ? time : `${made.toLocaleDateString("de-DE", { day: "2-digit", month: "2-digit" })} ${time}`;
  };

  const showListStatus = () => {
    const line = $("list-status");
    const list = state.list;
    line.textContent = "";
    if (!list) {
      line.append("Keine gültige Sperrliste geladen. ");
      line.append(english("No valid revocation list loaded."));
      line.dataset.iat = "";
      return;
    }
    const stale = Date.now() >= list.exp * 1000;
    line.dataset.iat = String(list.iat);
    line.append(`Sperrliste von ${listTime(list)}${stale ? " – veraltet" : ""}, ${list.revoked.size + list.superseded.size} Einträge. `);
    line.append(english(`Revocation list of ${listTime(list)}${stale ? " – out of date" : ""}.`));
  };

  const english = (text) => {
    const span = document.createElement("span");
    span.lang = "en";
    span.textContent = text;
    return span;
  };

  /** Keys, list and permit types: from the network when there is one, else from the cache. */
  const loadData = async () => {
    const [keysText, listText, typesText] = await Promise.allSettled([
      fetchJson(".well-known/permit-keys.json"),
      fetchJson(".well-known/permit-status.json"),
      fetchJson("officer/permit-types.json"),
    ]);
    if (keysText.status === "fulfilled") {
      try { state.keys = await importKeys(JSON.parse(keysText.value)); } catch (_) { /* keep the old keys */ }
    }
    if (typesText.status === "fulfilled") {
      try { state.types = JSON.parse(typesText.value).types || {}; } catch (_) { /* names are optional */ }
    }
    if (listText.status === "fulfilled" && state.keys) {
      try {
        const list = await parseStatusList(listText.value, state.keys.list);
        if (!state.list || list.iat >= state.list.iat) state.list = list; // never step back in time
      } catch (_) { /* a list that does not verify is no list */ }
    }
    showListStatus();
  };

  const typeName = (type) => {
    const names = state.types[String(type)];
    return names ? [names.de, names.en] : [`Parkausweis (Typ ${type})`, `Parking permit (type ${type})`];
  };

  const germanDate = (iso) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    return m ? `${m[3]}.${m[2]}.${m[1]}` : "";
  };

  const render = (result, source, claims, number, sourceDe, sourceEn, messageDe, messageEn) => {
    const main = $("result");
    main.dataset.result = result;
    main.dataset.source = source;
    const [wordDe, wordEn] = WORDS[result];
    for (const [id, word, detail] of [["verdict-de", wordDe, sourceDe], ["verdict-en", wordEn, sourceEn]]) {
      const line = $(id);
      line.querySelector(".word").textContent = word;
      line.querySelector(".source").textContent = detail ? `– ${detail}` : "";
    }
    const message = $("message");
    message.textContent = "";
    if (messageDe) { message.append(messageDe); message.append(english(messageEn)); }
    message.hidden = !messageDe;
    const card = $("permit");
    if (!claims || result === "invalid") { card.hidden = true; return; }
    const [typeDe, typeEn] = typeName(claims.type);
    const typeLine = $("permit-type");
    typeLine.textContent = typeDe;
    const typeEnglish = english(typeEn);
    typeEnglish.className = "en";
    typeLine.append(typeEnglish);
    const plates = $("plates");
    plates.textContent = "";
    for (const plate of claims.plates) {
      const line = document.createElement("span");
      line.className = "plate";
      line.textContent = String(plate);
      plates.append(line);
    }
    $("zone").textContent = String(claims.zone);
    $("valid-from").textContent = germanDate(claims.valid_from);
    $("valid-until").textContent = germanDate(claims.valid_to);
    $("permit-number").textContent = number || "";
    $("permit-number").hidden = !number;
    $("number-label").hidden = !number;
    card.hidden = false;
  };

  const renderLocal = (local) => {
    if (!state.keys || state.keys.token.size === 0) { // never loaded: nothing can be judged
      render("error", "offline", null, "", "keine Schlüssel geladen", "no keys loaded",
        "Der Ausweis ist NICHT geprüft. Bitte die App einmal mit Netz öffnen.",
        "The permit is NOT checked. Open the app once with a network connection.");
      return;
    }
    if (!local.ok) {
      render("invalid", "offline", null, "", "offline geprüft", "checked offline",
        "Die Signatur ist nicht echt oder der Code ist beschädigt.", "The signature is not genuine or the code is damaged.");
      return;
    }
    const result = offlineVerdict(local.claims, state.list, new Date());
    if (result === "stale_list") {
      const de = state.list ? `Sperrliste veraltet (von ${listTime(state.list)})` : "keine Sperrliste geladen";
      const en = state.list ? `revocation list out of date (${listTime(state.list)})` : "no revocation list loaded";
      render(result, "offline", local.claims, "", `Signatur echt, ${de}`, `signature genuine, ${en}`,
        "Ein Widerruf kann nicht ausgeschlossen werden. Bitte online erneut prüfen.",
        "The permit may have been revoked. Check again when online.");
      return;
    }
    const when = state.list ? listTime(state.list) : "";
    render(result, "offline", local.claims, "",
      when ? `offline geprüft, Sperrliste von ${when}` : "offline geprüft",
      when ? `checked offline, revocation list of ${when}` : "checked offline", "", "");
  };

  const askService = async (text) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ONLINE_TIMEOUT_MS);
    try {
      const response = await fetch("api/verify", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ token: text }),
        cache: "no-store", credentials: "omit", signal: controller.signal,
      });
      if (!response.ok) return null;
      const body = await response.json();
      return body && Object.prototype.hasOwnProperty.call(WORDS, body.result) && body.result !== "stale_list" ? body : null;
    } catch (_) {
      return null;
    } finally {
      clearTimeout(timer);
    }
  };

  const renderOnline = (body, local) => {
    const permit = body.permit && typeof body.permit === "object" ? body.permit : null;
    const claims = permit ? {
      type: Number.isInteger(permit.type) ? permit.type : (local.ok ? local.claims.type : 0),
      plates: Array.isArray(permit.plates) ? permit.plates : [], zone: permit.zone || "",
      valid_from: permit.valid_from, valid_to: permit.valid_until,
    } : null;
    render(body.result, "online", claims, permit ? String(permit.number || "") : "", "online bestätigt", "confirmed online", "", "");
  };

  const tokenFromHash = () => {
    let text = location.hash.replace(/^#/, "");
    try { text = decodeURIComponent(text); } catch (_) { /* keep it as it is */ }
    return text.replace(/\s+/g, "");
  };

  const verify = async () => {
    const mine = ++state.generation;
    const text = tokenFromHash();
    const main = $("result");
    if (!text) {
      render("no_token", "offline", null, "", "", "",
        "Tippen Sie auf „Scannen“ oder öffnen Sie den QR-Code mit der Kamera.",
        "Tap “Scan” or open the QR code with the phone camera.");
      main.setAttribute("aria-busy", "false");
      return;
    }
    main.setAttribute("aria-busy", "true");
    const online = navigator.onLine ? askService(text) : Promise.resolve(null);
    if (!state.keys) await dataReady;
    let local = await checkText(text, state.keys ? state.keys.token : new Map());
    if (!local.ok && local.reason === "unknown_key" && navigator.onLine) {
      await loadData(); // a key published after this phone last loaded the set
      local = await checkText(text, state.keys ? state.keys.token : new Map());
    }
    if (mine !== state.generation) return;
    const early = await Promise.race([online, new Promise((done) => setTimeout(() => done(undefined), ONLINE_WAIT_MS))]);
    if (mine !== state.generation) return;
    if (early) { renderOnline(early, local); main.setAttribute("aria-busy", "false"); return; }
    renderLocal(local);
    if (early === undefined) {
      const late = await online; // slow network: the local verdict shows until the service answers
      if (mine !== state.generation) return;
      if (late) renderOnline(late, local);
    }
    main.setAttribute("aria-busy", "false");
  };

  // -- scanning ------------------------------------------------------------------------------
  const scanner = { stream: null, timer: 0, detect: null };

  const loadDecoder = () => new Promise((resolve, reject) => {
    if (window.jsQR) { resolve(); return; }
    const script = document.createElement("script");
    script.src = "officer/jsqr.js";
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("decoder"));
    document.head.append(script);
  });

  const makeDetector = async () => {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async (video) => {
            const codes = await detector.detect(video);
            return codes.length ? codes[0].rawValue : null;
          };
        }
      } catch (_) { /* fall back to the JavaScript decoder */ }
    }
    await loadDecoder();
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async (video) => {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return null;
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
      return found ? found.data : null;
    };
  };

  const stopScan = () => {
    clearTimeout(scanner.timer);
    if (scanner.stream) for (const track of scanner.stream.getTracks()) track.stop();
    scanner.stream = null;
    $("camera").srcObject = null;
    $("scanner").hidden = true;
    $("scan").focus();
  };

  const scanned = (value) => {
    const text = String(value || "");
    const token = text.includes("#") ? text.slice(text.indexOf("#") + 1) : text;
    if (!/^[0-9]+$/.test(token)) return false;
    stopScan();
    history.replaceState(null, "", `#${token}`); // one history entry, however many cars
    verify();
    return true;
  };

  const startScan = async () => {
    const hint = $("scan-hint");
    $("scanner").hidden = false;
    try {
      scanner.detect = scanner.detect || await makeDetector();
      scanner.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (_) {
      hint.textContent = "Kamera nicht verfügbar. Öffnen Sie den QR-Code mit der Kamera-App. ";
      hint.append(english("Camera not available. Open the QR code with the camera app."));
      return;
    }
    const video = $("camera");
    video.srcObject = scanner.stream;
    await video.play().catch(() => {});
    $("scan-stop").focus();
    const tick = async () => {
      if (!scanner.stream) return;
      let value = null;
      try { value = await scanner.detect(video); } catch (_) { value = null; }
      if (!(value && scanned(value)) && scanner.stream) scanner.timer = setTimeout(tick, 120);
    };
    tick();
  };

  $("scan").addEventListener("click", startScan);
  $("scan-stop").addEventListener("click", stopScan);
  window.addEventListener("hashchange", verify);

  // -- offline support -----------------------------------------------------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("officer-sw.js", { scope: "./v" }).catch(() => {});
    const ready = () => {
      if (!navigator.serviceWorker.controller) return;
      $("offline-status").hidden = false; // page, script, keys and list are cached now
      document.documentElement.dataset.offlineReady = "true";
    };
    navigator.serviceWorker.ready.then(ready);
    navigator.serviceWorker.addEventListener("controllerchange", ready);
  }
  const refresh = () => { if (navigator.onLine) loadData(); };
  window.addEventListener("online", refresh);
  setInterval(refresh, REFRESH_MS);

  const dataReady = loadData();
  verify();
})();
