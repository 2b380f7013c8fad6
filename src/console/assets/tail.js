// Live tail: new events arrive over server-sent events and are added on top.
// Text only (textContent), never HTML from the server's data.
(() => {
  const status = document.getElementById("tail-status");
  const body = document.getElementById("tail-rows");
  if (!status || !body || !window.EventSource) return;
  const MAX_ROWS = 300;
  const seen = new Set(Array.from(body.querySelectorAll("tr[data-event]"), (tr) => tr.dataset.event));
  const cell = (text, cls) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };
  const source = new EventSource(status.dataset.stream);
  source.addEventListener("open", () => {
    status.textContent = "Live: new events appear at the top.";
  });
  source.addEventListener("log", (message) => {
    const e = JSON.parse(message.data);
    if (seen.has(e.eventId)) return;
    seen.add(e.eventId);
    const tr = document.createElement("tr");
    tr.dataset.event = e.eventId;
    tr.append(
      cell(e.recordedAt.replace("T", " ").replace(/\.\d+Z$/, "Z")),
      cell(e.type),
      cell(e.actor, "mono"),
      cell(e.ip || "—", "mono"),
      cell(e.data, "mono hide-narrow"),
    );
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  });
  source.addEventListener("ended", () => {
    source.close();
    window.location.assign("/console/sign-in");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = "The live connection closed. Reload the page to continue.";
    } else {
      status.textContent = "Reconnecting…";
    }
  });
})();
