// The examiner's page: plain DOM and fetch against the JSON API (docs/openapi.json).
// Text from the server is only ever set as textContent, never as HTML.
"use strict";

const state = {
  token: sessionStorage.getItem("microstamp-token") || "", session: null, caseKey: null, file: null, casesBefore: null,
};

const $ = (id) => document.getElementById(id);

function say(text, kind) {
  const message = $("message");
  message.textContent = text || "";
  message.className = kind || "";
}

async function api(method, path, body, expect) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && state.token && path !== "/api/login") {
    forget();
    throw new Error("Your session has ended (idle or logged out): log on again.");
  }
  if (!response.ok) {
    let reason = response.status + " " + response.statusText;
    try { reason = (await response.json()).error || reason; } catch (_) { /* not JSON */ }
    throw new Error(reason);
  }
  if (expect === "text") return response.text();
  return response.json();
}

function forget() {
  state.token = "";
  state.session = null;
  sessionStorage.removeItem("microstamp-token");
  show();
}

function show() {
  const in_session = Boolean(state.session);
  $("login").hidden = in_session;
  $("workspace").hidden = !in_session;
  $("who").hidden = !in_session;
  if (in_session) {
    const s = state.session;
    $("who-name").textContent = s.user + " · " + s.role + (s.agency_ori ? " · " + s.agency_ori : " · all agencies");
    if (!$("case-agency").value) $("case-agency").value = s.agency_ori || "";
  }
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function casePath(key) {
  return "/api/cases/" + encodeURIComponent(key.agency) + "/" + encodeURIComponent(key.number);
}

function latestReading(item) {
  return item.readings.length ? item.readings[item.readings.length - 1] : null;
}

async function openCase(key) {
  const detail = await api("GET", casePath(key));
  const caseLeads = (await api("GET", "/api/leads?agency=" + encodeURIComponent(detail.agency_ori) + "&case=" +
    encodeURIComponent(detail.case_number))).leads;
  state.caseKey = { agency: detail.agency_ori, number: detail.case_number };
  $("case-title").textContent = "Case " + detail.agency_ori + " / " + detail.case_number;
  $("case-meta").textContent = "NCIC offense " + detail.offense_code + " · opened " + detail.opened_at + " by " + detail.opened_by;
  const body = $("items").querySelector("tbody");
  body.replaceChildren();
  for (const item of detail.exhibits) {
    const row = document.createElement("tr");
    cell(row, item.item_number);
    cell(row, item.collected_at);
    cell(row, item.collected_place);
    const reading = latestReading(item);
    cell(row, reading ? reading.status : "no reading", reading ? "status-" + reading.status : "");
    cell(row, reading && reading.serial ? identityText(reading.reading, reading.serial) : "");
    const links = cell(row, "");
    for (const link of item.links) {
      const other = link.other;
      if (!other) continue;
      const a = document.createElement("a");
      a.textContent = other.agency_ori + "/" + other.case_number + " item " + other.item_number +
        (link.basis === "likelihood_ratio" ? " (LR " + link.likelihood_ratio + ")" : " (same identity)");
      a.addEventListener("click", () => run(() => openCase({ agency: other.agency_ori, number: other.case_number })));
      links.appendChild(a);
      links.appendChild(document.createElement("br"));
    }
    const itemLeads = caseLeads.filter((lead) => lead.found_for.exhibit_id === item.id || lead.other.exhibit_id === item.id);
    const leadsCell = cell(row, "");
    if (itemLeads.length) {
      const a = document.createElement("a");
      a.className = "lead-link";
      a.textContent = itemLeads.filter((lead) => lead.status === "open").length + " open of " + itemLeads.length;
      a.addEventListener("click", () => run(() => showLeads(item, itemLeads)));
      leadsCell.appendChild(a);
    }
    const actions = cell(row, "");
    if (reading && reading.scan_sha256) {
      const view = document.createElement("a");
      view.textContent = "overlay";
      view.className = "overlay-link";
      view.addEventListener("click", () => run(() => showStoredReading(item, reading)));
      actions.appendChild(view);
      actions.appendChild(document.createTextNode(" "));
    }
    if (state.session.permissions.read_evidence) {
      const report = document.createElement("a");
      report.textContent = "report (PDF)";
      report.className = "report-link";
      report.addEventListener("click", () => run(() => downloadReport(item)));
      actions.appendChild(report);
      actions.appendChild(document.createTextNode(" "));
    }
    if (state.session.permissions.issue_trace_request && reading && reading.status === "decoded") {
      const trace = document.createElement("button");
      trace.type = "button";
      trace.className = "secondary trace-button";
      trace.textContent = "Export trace request";
      trace.addEventListener("click", () => run(() => exportTrace(item)));
      actions.appendChild(trace);
    }
    body.appendChild(row);
  }
  $("case-view").hidden = false;
  $("leads").hidden = true;
  $("upload-item").value = String(detail.exhibits.length + 1);
  say("Opened case " + detail.agency_ori + "/" + detail.case_number + ".", "ok");
}

// The cases this user may open, newest first; `older` appends the next page.
async function listCases(older) {
  if (!state.session.permissions.read_evidence) { $("case-list").hidden = true; return; }
  const answer = await api("GET", "/api/cases?limit=50" + (older ? "&before=" + state.casesBefore : ""));
  const openLeads = (await api("GET", "/api/leads?status=open")).leads;
  const body = $("cases").querySelector("tbody");
  if (!older) body.replaceChildren();
  for (const entry of answer.cases) {
    const row = document.createElement("tr");
    const name = cell(row, "");
    const a = document.createElement("a");
    a.textContent = entry.agency_ori + " / " + entry.case_number;
    a.addEventListener("click", () => run(() => openCase({ agency: entry.agency_ori, number: entry.case_number })));
    name.appendChild(a);
    cell(row, entry.offense_code);
    cell(row, entry.items);
    cell(row, entry.opened_at + " by " + entry.opened_by);
    cell(row, openLeads.filter((lead) => [lead.found_for, lead.other].some((side) =>
      side.agency_ori === entry.agency_ori && side.case_number === entry.case_number)).length, "lead-count");
    body.appendChild(row);
  }
  state.casesBefore = answer.next_before;
  $("cases-more").hidden = answer.next_before === null;
  $("cases-empty").hidden = body.children.length > 0;
  $("case-list").hidden = false;
}

function identityText(readerJson, serial) {
  const identity = readerJson && readerJson.identity;
  return identity ? identity.manufacturer + " " + identity.model + " #" + identity.serial : serial;
}

function showReading(readerJson, overlaySource, candidates) {
  $("result").hidden = false;
  $("result-overlay").src = overlaySource;
  $("result-status").textContent = readerJson.status;
  $("result-status").className = "status-" + (readerJson.status === "decoded" ? "decoded" : "failed");
  // A swapped pin: the casing names no pistol, each location names its own.
  if (readerJson.status === "locations_disagree") {
    $("result-status").textContent = "locations disagree: " + (readerJson.locations || []).map((location) =>
      location.location.replace("_", " ") + " " + (location.identity ? identityText(location) : location.status)).join(", ");
  }
  const identity = readerJson.identity || readerJson.stamp_fields || {};
  const confidence = (readerJson.identity && readerJson.identity.field_confidence) || {};
  for (const field of ["manufacturer", "model", "serial"]) {
    $("result-" + field).textContent = identity[field] !== undefined ? String(identity[field]) :
      (identity[field + "_code"] !== undefined ? "code " + identity[field + "_code"] : "—");
    $("confidence-" + field).textContent = confidence[field] !== undefined ?
      "confidence " + (1 - confidence[field] < 1e-6 ? "> 0.999999" : confidence[field].toFixed(6)) : "";
  }
  $("result-quality").textContent = "errors corrected " + readerJson.errors + ", erasures " + readerJson.erasures +
    ", unused parity " + readerJson.unused_capacity + " of " + readerJson.parity_symbols +
    (readerJson.failure ? " · " + readerJson.failure : "");
  renderCandidates($("result-candidates"), candidates || [], "Ranked candidates for this partial read");
}

async function showStoredReading(item, reading) {
  const response = await fetch(casePath(state.caseKey) + "/exhibits/" + encodeURIComponent(item.item_number) +
    "/readings/" + reading.id + "/overlay.png", { headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) throw new Error("overlay: " + response.status);
  showReading(reading.reading || { status: reading.status }, await dataUrlOf(await response.blob()), []);
}

// An image as a data: URL, since the page's Content-Security-Policy admits no blob: images.
function dataUrlOf(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("overlay: " + reader.error));
    reader.readAsDataURL(blob);
  });
}

function renderCandidates(container, candidates, title) {
  container.replaceChildren();
  if (!candidates.length) return;
  const heading = document.createElement("h3");
  heading.textContent = title;
  container.appendChild(heading);
  const table = document.createElement("table");
  const head = document.createElement("tr");
  for (const name of ["Rank", "Serial", "Agency / case / item", "log10 LR", "Agree / disagree"]) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  table.appendChild(head);
  candidates.forEach((candidate, index) => {
    const row = document.createElement("tr");
    cell(row, index + 1);
    cell(row, candidate.serial);
    const where = cell(row, "");
    const a = document.createElement("a");
    a.textContent = candidate.exhibit.agency_ori + " / " + candidate.exhibit.case_number + " / " + candidate.exhibit.item_number;
    a.addEventListener("click", () => run(() => openCase({ agency: candidate.exhibit.agency_ori, number: candidate.exhibit.case_number })));
    where.appendChild(a);
    cell(row, candidate.score.log10_likelihood_ratio.toFixed(2));
    cell(row, candidate.score.matched + " / " + candidate.score.mismatched);
    table.appendChild(row);
  });
  container.appendChild(table);
}

async function upload() {
  if (!state.caseKey) throw new Error("Open a case first.");
  if (!state.file) throw new Error("Choose or drop a scan first.");
  const form = new FormData();
  form.append("item_number", $("upload-item").value);
  form.append("collected_at", $("upload-collected").value);
  form.append("collected_place", $("upload-place").value);
  if ($("upload-scale").value) form.append("um_per_px", $("upload-scale").value);
  form.append("scan", state.file, state.file.name);
  say("Storing and reading " + state.file.name + " …");
  const answer = await api("POST", casePath(state.caseKey) + "/exhibits", form);
  showReading(answer.reading, "data:image/png;base64," + answer.overlay_png_base64, answer.candidates);
  const key = state.caseKey;
  await openCase(key);
  await listCases(false);
  say("Item " + answer.exhibit.item_number + " stored (scan " + answer.scan.sha256.slice(0, 12) + "…) and read: " +
    answer.reading.status + ".", "ok");
}

// An item's leads, and the two readings of one lead side by side: this item's and the
// other's (which its agency's rules may refuse to show, as they refuse its case).
function sidesOf(lead, item) {
  const mine = lead.found_for.exhibit_id === item.id;
  return {
    here: { side: mine ? lead.found_for : lead.other, reading: mine ? lead.reading_id : lead.other_reading_id },
    there: { side: mine ? lead.other : lead.found_for, reading: mine ? lead.other_reading_id : lead.reading_id },
  };
}

async function showOverlay(image, caption, end) {
  const where = end.side.agency_ori + " / " + end.side.case_number + " / item " + end.side.item_number;
  image.removeAttribute("src");
  const response = await fetch(casePath({ agency: end.side.agency_ori, number: end.side.case_number }) + "/exhibits/" +
    encodeURIComponent(end.side.item_number) + "/readings/" + end.reading + "/overlay.png",
  { headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    caption.textContent = where + ": no overlay (" + (problem.error || response.status) + ")";
    return;
  }
  image.src = await dataUrlOf(await response.blob());
  caption.textContent = where + ", reading " + end.reading;
}

async function compareLead(lead, item) {
  const ends = sidesOf(lead, item);
  await Promise.all([showOverlay($("lead-overlay-this"), $("lead-caption-this"), ends.here),
    showOverlay($("lead-overlay-other"), $("lead-caption-other"), ends.there)]);
}

async function decideLead(lead, decision) {
  const note = window.prompt(decision === "confirm" ? "Why are they one firearm?" : "Why not?", "") || "";
  const decided = await api("POST", "/api/leads/" + lead.id + "/" + decision, { note });
  await openCase(state.caseKey);
  await listCases(false);
  say("Lead " + decided.id + " " + decided.status + (decided.link_id ? ": linked (link " + decided.link_id + ")." : "."), "ok");
}

function showLeads(item, leads) {
  $("leads").hidden = false;
  $("leads-title").textContent = "Leads of item " + item.item_number;
  const body = $("lead-list").querySelector("tbody");
  body.replaceChildren();
  for (const lead of leads) {
    const row = document.createElement("tr");
    const there = sidesOf(lead, item).there.side;
    cell(row, lead.id);
    cell(row, lead.kind + (lead.partial_serial ? " (read " + lead.partial_serial + ")" : "") +
      (lead.location ? " (" + lead.location.replace("_", " ") + ")" : ""));
    cell(row, lead.manufacturer_code + "/" + lead.model_code + " #" + lead.serial);
    cell(row, there.agency_ori + " / " + there.case_number + " / item " + there.item_number);
    cell(row, lead.log10_likelihood_ratio === null ? "" : lead.log10_likelihood_ratio.toFixed(2));
    cell(row, lead.found_at);
    cell(row, lead.status + (lead.decided_by ? " by " + lead.decided_by : ""), "lead-status");
    const actions = cell(row, "");
    const compare = document.createElement("a");
    compare.textContent = "compare";
    compare.className = "lead-compare";
    compare.addEventListener("click", () => run(() => compareLead(lead, item)));
    actions.appendChild(compare);
    if (lead.status === "open" && state.session.permissions.handle_evidence) {
      for (const decision of ["confirm", "reject"]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = (decision === "confirm" ? "" : "secondary ") + "lead-" + decision;
        button.textContent = decision === "confirm" ? "Confirm" : "Reject";
        button.addEventListener("click", () => run(() => decideLead(lead, decision)));
        actions.appendChild(document.createTextNode(" "));
        actions.appendChild(button);
      }
    }
    body.appendChild(row);
  }
  if (leads.length) return compareLead(leads[0], item);
}

// The examination report: issued by the server (the issue and the file's SHA-256 are
// audited) and saved as a file; the request carries the session, so a plain link cannot.
async function downloadReport(item) {
  const response = await fetch(casePath(state.caseKey) + "/exhibits/" + encodeURIComponent(item.item_number) +
    "/report", { headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error("report: " + (problem.error || response.status));
  }
  const name = "report-" + item.agency_ori + "-" + item.case_number + "-item-" + item.item_number + ".pdf";
  const save = document.createElement("a");
  save.href = URL.createObjectURL(await response.blob());
  save.download = name;
  document.body.appendChild(save);
  save.click();
  save.remove();
  say("Report for item " + item.item_number + " issued and saved as " + name + " (SHA-256 " +
    response.headers.get("X-Report-SHA256") + ").", "ok");
}

async function exportTrace(item) {
  const officer = window.prompt("Requesting officer", state.session.user);
  if (!officer) return;
  const request = { agency_ori: item.agency_ori, case_number: item.case_number, item_number: item.item_number, officer };
  const trace = await api("POST", "/api/trace-requests", request);
  $("trace").hidden = false;
  $("trace-json").textContent = JSON.stringify(trace, null, 2);
  const csv = await api("POST", "/api/trace-requests?format=csv", request, "text");
  $("trace-csv").href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  say("Trace request " + trace.id + " issued for item " + item.item_number + ".", "ok");
}

async function run(work) {
  try {
    await work();
  } catch (error) {
    say(error.message, "error");
  }
}

function takeFile(file) {
  state.file = file || null;
  if (file) say("Ready: " + file.name + " (" + file.size + " bytes). Fill in the item and press Store and read.");
}

function wire() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      const answer = await api("POST", "/api/login", { user: $("login-user").value, password: $("login-password").value });
      state.token = answer.token;
      sessionStorage.setItem("microstamp-token", answer.token);
      state.session = answer;
      $("login-password").value = "";
      show();
      await listCases(false);
      say("Logged on as " + answer.user + ".", "ok");
    });
  });
  $("logout-button").addEventListener("click", () => run(async () => {
    try { await api("POST", "/api/logout"); } finally {
      forget();
      $("case-view").hidden = true;
      $("result").hidden = true;
      $("case-list").hidden = true;
      $("leads").hidden = true;
    }
    say("Logged out.", "ok");
  }));
  $("case-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("case-view").hidden = true;
    $("result").hidden = true;
    run(() => openCase({ agency: $("case-agency").value.trim(), number: $("case-number").value.trim() }));
  });
  $("new-case-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      const key = { agency: $("case-agency").value.trim(), number: $("case-number").value.trim() };
      await api("POST", "/api/cases", { agency_ori: key.agency, case_number: key.number, offense_code: $("new-case-offense").value });
      await listCases(false);
      await openCase(key);
    });
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      const answer = await api("GET", "/api/search/partial?serial=" + encodeURIComponent($("search-serial").value.trim()));
      const count = answer.candidates.length;
      renderCandidates($("search-results"), answer.candidates, count + (count === 1 ? " candidate" : " candidates, best first"));
      if (!answer.candidates.length) say("No stored item is compatible with that serial.");
    });
  });
  $("link-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      const basis = $("link-basis").value;
      const body = {
        from: { agency_ori: state.caseKey.agency, case_number: state.caseKey.number, item_number: $("link-from").value },
        to: { agency_ori: $("link-to-agency").value, case_number: $("link-to-case").value, item_number: $("link-to-item").value },
        basis,
      };
      if (basis === "likelihood_ratio") body.likelihood_ratio = Number($("link-ratio").value);
      await api("POST", "/api/links", body);
      await openCase(state.caseKey);
    });
  });
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    takeFile(event.dataTransfer.files[0]);
  });
  $("scan-file").addEventListener("change", (event) => takeFile(event.target.files[0]));
  $("upload-button").addEventListener("click", () => run(upload));
  $("cases-more").addEventListener("click", () => run(() => listCases(true)));
  $("upload-collected").value = new Date().toISOString().slice(0, 16) + "Z";
}

async function start() {
  wire();
  if (state.token) {
    try { state.session = await api("GET", "/api/session"); } catch (_) { forget(); }
  }
  show();
  if (state.session) await run(() => listCases(false));
}

start();
