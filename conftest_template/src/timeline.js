"use strict";
window.onerror = function (msg) { document.body.dataset.errors = (document.body.dataset.errors || "") + msg + ";"; };
(function () {
  var D = JSON.parse(document.getElementById("data").textContent);
  var ROW = 16, COLORS = {passed: "#3a3", failed: "#d22", error: "#a0a", skipped: "#bbb", xfailed: "#8ac",
    xpassed: "#fa0", lost: "#000", crashed: "#600"};
  var F = D.figures, wall = Math.max(F.session, F.last_end, 0.001);
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls; return e; }
  function secs(ms) { return (ms / 1000).toFixed(3); }
  // the figures
  var fig = document.getElementById("figures");
  function figure(label, value) { var d = el("div"); d.appendChild(el("b", label + ": ")); d.appendChild(el("span", value));
    fig.appendChild(d); }
  figure("session", F.session.toFixed(2) + " s");
  figure("tests from first start to last end", F.wall.toFixed(2) + " s");
  figure("sum of test time", F.test_time.toFixed(2) + " s");
  figure("utilisation", (100 * F.utilisation).toFixed(1) + " % of " + D.workers.length + " workers");
  if (F.expected !== null) figure("estimate", F.expected.toFixed(1) + " s, took " + F.wall.toFixed(1) + " s");
  if (F.longest) figure("longest test", F.longest.test + " (" + F.longest.duration.toFixed(2) + " s)");
  figure("critical tail", F.tail ? (F.tail.end - F.tail.start).toFixed(2) + " s from " + F.tail.start.toFixed(2) +
    " s (fewer than half the workers busy)" : "none");
  var legend = document.getElementById("legend");
  D.outcomes.forEach(function (o) { var s = el("span"); s.style.background = COLORS[o]; legend.appendChild(s);
    legend.appendChild(document.createTextNode(o)); });
  [["#cde", "not ready yet (the helper's probe and copy, the bring-up)"], ["#f902", "critical tail"]].forEach(
    function (p) { var s = el("span"); s.style.background = p[0]; legend.appendChild(s);
      legend.appendChild(document.createTextNode(p[1])); });
  // rows: a node's header, then its workers
  var rowOf = {}, rows = [null], labels = document.getElementById("labels");
  labels.appendChild(el("div", "seconds", "node"));
  var byNode = {};
  D.workers.forEach(function (w, i) { (byNode[w.node] = byNode[w.node] || []).push(i); });
  Object.keys(byNode).sort().forEach(function (node) {
    var h = el("div", node, "node"); h.dataset.node = node; labels.appendChild(h); rows.push(null);
    byNode[node].forEach(function (i) { rowOf[i] = rows.length; rows.push(i);
      var r = el("div", D.workers[i].worker, "worker"); r.dataset.worker = D.workers[i].worker; r.dataset.node = node;
      r.dataset.bars = "0"; labels.appendChild(r); });
  });
  var plot = document.getElementById("plot"), canvas = document.getElementById("bars");
  var width = Math.max(200, plot.clientWidth), height = rows.length * ROW;
  var ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.style.width = width + "px"; canvas.style.height = height + "px";
  var g = canvas.getContext("2d"); g.scale(ratio, ratio);
  function x(ms) { return ms / 1000 / wall * width; }
  // idle is the background; each bar at least a pixel wide
  rows.forEach(function (w, r) { g.fillStyle = w === null ? "#f0f0f0" : (r % 2 ? "#fafafa" : "#f4f4f4");
    g.fillRect(0, r * ROW, width, ROW); });
  // the axis: a tick every 1, 2 or 5 x 10^k seconds, about 10 in all
  var step = Math.pow(10, Math.floor(Math.log10(wall / 10)));
  step = wall / step > 50 ? step * 5 : wall / step > 20 ? step * 2 : step;
  g.fillStyle = "#555"; g.font = "10px sans-serif";
  for (var s = 0; s <= wall; s += step) { var tx = x(s * 1000); g.fillRect(tx, ROW - 4, 1, 4);
    g.fillText(String(+s.toFixed(3)), tx + 2, ROW - 5); }
  // a worker before it was ready: the helper's probe and copy, then its
  // bring-up (light blue)
  rows.forEach(function (w, r) { if (w === null || D.workers[w].ready === null) return;
    g.fillStyle = "#cde"; g.fillRect(0, r * ROW + 6, x(D.workers[w].ready * 1000), ROW - 12); });
  var perRow = {}, counts = {};
  D.tests.forEach(function (t, k) {
    var r = rowOf[t[1]]; if (r === undefined) return;
    var x0 = x(t[2]), w = Math.max(1, x(t[3]));
    g.fillStyle = COLORS[D.outcomes[t[4]]]; g.fillRect(x0, r * ROW + 2, w, ROW - 4);
    if (t[5]) { g.strokeStyle = "#000"; g.lineWidth = 1.5; g.strokeRect(x0 + 0.5, r * ROW + 1.5, Math.max(1, w - 1), ROW - 3); }
    (perRow[r] = perRow[r] || []).push(k); counts[r] = (counts[r] || 0) + 1;
  });
  Array.prototype.forEach.call(labels.children, function (div, r) { if (rows[r] !== null) div.dataset.bars = String(counts[r] || 0); });
  // the critical tail and the nodes lost, drawn where they happened
  if (F.tail) { var tail = el("div", undefined, "tail"); tail.style.left = x(F.tail.start * 1000) + "px";
    tail.style.width = Math.max(1, x((F.tail.end - F.tail.start) * 1000)) + "px"; tail.title = "critical tail";
    plot.appendChild(tail); }
  D.lost.forEach(function (l) {
    var its = byNode[l.node] || []; if (!its.length) return;
    var top = (rowOf[its[0]] - 1) * ROW, mark = el("div", undefined, "lost");
    mark.style.left = x(l.at * 1000) + "px"; mark.style.top = top + "px"; mark.style.height = (its.length + 1) * ROW + "px";
    mark.dataset.node = l.node; mark.title = "node " + l.node + " lost at " + l.at.toFixed(2) + " s: " + l.why;
    mark.appendChild(el("span", "lost: " + l.node)); plot.appendChild(mark);
  });
  // hovering a bar
  var tip = document.getElementById("tip");
  function describe(t) {
    var w = D.workers[t[1]], s = D.names[t[0]] + "\nnode " + w.node + ", worker " + w.worker + "\n" +
      secs(t[3]) + " s from " + secs(t[2]) + " s, " + D.outcomes[t[4]];
    if (t[5]) s += "\nre-run: its first attempt was running on node " + t[5] + " when it was lost";
    return s;
  }
  canvas.addEventListener("mousemove", function (ev) {
    var b = canvas.getBoundingClientRect(), r = Math.floor((ev.clientY - b.top) / ROW), ms = (ev.clientX - b.left) / width * wall * 1000;
    var hit = null, slack = wall * 1000 / width;
    (perRow[r] || []).some(function (k) { var t = D.tests[k]; if (ms >= t[2] - slack && ms <= t[2] + t[3] + slack) { hit = t; return true; } return false; });
    if (!hit) { tip.hidden = true; return; }
    tip.textContent = describe(hit); tip.hidden = false; tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
  // the nodes
  var nodes = document.querySelector("#nodes tbody");
  D.nodes.forEach(function (n) {
    var tr = el("tr"); tr.dataset.node = n.node;
    [[n.node, "l"], [n.cpus === null ? "" : String(n.cpus)], [String(n.processes)],
     [n.bringup === null ? "" : n.bringup.toFixed(2)], [String(n.tests)], [(100 * n.busy).toFixed(1) + " %"],
     [n.lost === null || n.lost === undefined ? "" : "at " + n.lost.toFixed(2) + " s", "l"]].forEach(function (c) {
      tr.appendChild(el("td", c[0], c[1])); });
    nodes.appendChild(tr);
  });
  // the tests: the longest first, filtered, sorted by a column
  var LIMIT = 500, key = 3, down = true, filter = "";
  var tbody = document.querySelector("#tests tbody"), shown = document.getElementById("shown");
  function cell(t, k) { return k === 0 ? D.names[t[0]] : k === 1 ? D.workers[t[1]].worker : k === 2 ? t[2] : k === 3 ? t[3] : D.outcomes[t[4]]; }
  function table() {
    var list = D.tests.filter(function (t) { return !filter || D.names[t[0]].indexOf(filter) >= 0; });
    list.sort(function (a, b) { var p = cell(a, key), q = cell(b, key); return (p < q ? -1 : p > q ? 1 : 0) * (down ? -1 : 1); });
    tbody.textContent = "";
    list.slice(0, LIMIT).forEach(function (t) {
      var tr = el("tr"), name = el("td", D.names[t[0]], "l"); name.title = "show only this test";
      name.addEventListener("click", function () { filter = D.names[t[0]]; document.getElementById("filter").value = filter; table(); });
      tr.appendChild(name); tr.appendChild(el("td", D.workers[t[1]].worker, "l")); tr.appendChild(el("td", secs(t[2])));
      tr.appendChild(el("td", secs(t[3]))); tr.appendChild(el("td", D.outcomes[t[4]] + (t[5] ? " (re-run)" : ""), "l"));
      tbody.appendChild(tr);
    });
    shown.textContent = "showing " + Math.min(LIMIT, list.length) + " of " + list.length + " attempts";
  }
  document.querySelectorAll("#tests th").forEach(function (th) { th.addEventListener("click", function () {
    var k = Number(th.dataset.k); if (k === key) down = !down; else { key = k; down = k >= 2; } table(); }); });
  document.getElementById("filter").addEventListener("input", function (ev) { filter = ev.target.value; table(); });
  table();
  document.body.dataset.rows = String(D.workers.length);
  document.body.dataset.bars = String(Object.keys(counts).reduce(function (a, r) { return a + counts[r]; }, 0));
  document.body.dataset.renderMs = performance.now().toFixed(1);
})();
