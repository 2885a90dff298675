// journey map: draws the map document (the JSON in #map-data, cli/src/map/model.rs) into the
// page. Embedded into every map by cli/src/map/html.rs, after the vendored dagre.
//
// Layout: each stage is laid out on its own by dagre (top to bottom), and the stages are placed
// left to right in the order they are written, so a journey reads along its stages and a
// 1,000-stage journey costs 1,000 small layouts instead of one large one (docs/map.md,
// docs/performance.md). Edges between stages (`goto`) are drawn as curves between columns.
// Every text from the project is escaped (esc) before it goes into the page.
"use strict";
(function () {
  var t0 = performance.now();
  var doc = JSON.parse(document.getElementById("map-data").textContent);
  var CARD_W = 220, GAP = 70, HEAD = 26, PAD = 10;
  // shape key -> layout (layoutColumn); `#no-layout-cache` lays out every stage anew, for the
  // worst case of docs/performance.md.
  var layouts = {};
  var cacheLayouts = location.hash !== "#no-layout-cache";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function height(node) {
    if (node.kind === "exit") return 26;
    var h = node.send ? 82 : 40;
    return h + (node.problems.length ? 18 : 0);
  }
  function problemClass(journey, node) {
    var worst = "";
    node.problems.forEach(function (p) {
      var s = journey.problems[p].severity;
      if (s === "error") worst = "error"; else if (!worst) worst = "warning";
    });
    return worst;
  }

  // ---- the flow view ------------------------------------------------------------------------
  var flow = document.getElementById("flow");
  var byKey = {}; // "j/id" -> {journey, node, x, y, w, h}
  var html = [];
  doc.journeys.forEach(function (journey, j) {
    var meta = [journey.entry].concat(
      journey.goals.map(function (g) { return "goal " + g.name + " = " + g.event + " within " + g.within; }),
      journey.exits, journey.reentry ? [journey.reentry] : [], [journey.at]);
    html.push('<div class="journey" data-journey="' + esc(journey.name) + '"><h2>journey ' + esc(journey.name) + '</h2><div class="meta">' +
      meta.map(function (m) { return "<span>" + esc(m) + "</span>"; }).join("") + '</div><div class="canvas" id="canvas-' + j + '"></div></div>');
  });
  flow.innerHTML = html.join("");

  doc.journeys.forEach(function (journey, j) { drawJourney(journey, j); });

  function drawJourney(journey, j) {
    var canvas = document.getElementById("canvas-" + j);
    var nodesOf = {}, index = {};
    journey.nodes.forEach(function (n) { index[n.id] = n; (nodesOf[n.stage] = nodesOf[n.stage] || []).push(n); });
    // The entry card carries the journey's problems that are on no step and no stage (its
    // entry, audience or goals).
    var placedProblem = {};
    journey.nodes.forEach(function (n) { n.problems.forEach(function (p) { placedProblem[p] = true; }); });
    journey.stages.forEach(function (s) { s.problems.forEach(function (p) { placedProblem[p] = true; }); });
    var entryProblems = journey.problems.map(function (_, i) { return i; }).filter(function (i) { return !placedProblem[i]; });
    var columns = [{ name: null, nodes: [{ id: "entry", kind: "entry", problems: entryProblems }] }];
    journey.stages.forEach(function (s) { columns.push({ name: s.name, stage: s, nodes: nodesOf[s.name] || [] }); });
    if (nodesOf[""]) columns.push({ name: "", nodes: nodesOf[""] });
    var within = [], across = [{ from: "entry", to: journey.start, label: "" }];
    journey.edges.forEach(function (e) {
      var a = index[e.from], b = index[e.to];
      if (a && b && a.stage === b.stage) within.push(e); else across.push(e);
    });
    var withinOf = {};
    within.forEach(function (e) { var s = index[e.from].stage; (withinOf[s] = withinOf[s] || []).push(e); });

    var x = 0, maxH = 0, parts = [], paths = [], placed = {};
    columns.forEach(function (col) {
      var edges = col.name === null ? [] : (withinOf[col.name] || []);
      var layout = layoutColumn(col.nodes, edges);
      var gw = Math.max(layout.width, 140), gh = layout.height + HEAD;
      var inside = [], lines = [];
      col.nodes.forEach(function (n, k) {
        var p = layout.nodes[k], left = p.x - p.w / 2, top = HEAD + p.y - p.h / 2;
        placed[n.id] = { x: x + left, y: top, w: p.w, h: p.h };
        byKey[j + "/" + n.id] = { journey: journey, node: n, j: j };
        inside.push(card(journey, n, j, left, top, p.w, p.h));
      });
      edges.forEach(function (e, i) {
        var ge = layout.edges[i];
        if (!ge) return;
        var d = ge.points.map(function (pt, k) { return (k ? "L" : "M") + pt.x.toFixed(1) + "," + (HEAD + pt.y).toFixed(1); }).join("");
        lines.push('<path data-from="' + esc(e.from) + '" data-to="' + esc(e.to) + '" d="' + d + '" marker-end="url(#arrow-' + j + ')"/>');
        if (ge.label) lines.push('<text x="' + ge.x.toFixed(1) + '" y="' + (HEAD + ge.y + 3).toFixed(1) + '" text-anchor="middle">' + esc(ge.label) + "</text>");
      });
      // A problem on the stage itself (J0505, never entered) marks its column and its header.
      var stageWorst = col.stage ? problemClass(journey, col.stage) : "";
      var stageProblem = stageWorst ? " stage-" + stageWorst : "";
      var head = col.name === null ? "" : '<div class="stage" title="stage ' + esc(col.name) + '">' + (col.name ? "stage " + esc(col.name) : "") +
        (col.stage ? col.stage.problems.map(function (p) { var pr = journey.problems[p]; return ' <span class="chip code ' + esc(pr.severity) + '">' + esc(pr.code) + "</span>"; }).join("") : "") + "</div>";
      parts.push('<div class="column' + (col.name === null ? " entry-column" : "") + stageProblem + '"' + (col.name === null ? "" : ' data-stage="' + esc(col.name) + '"') +
        ' style="left:' + x + "px;top:0;width:" + gw + 'px;height:__H__px">' + head +
        '<svg class="edges" width="' + gw + '" height="' + gh + '">' + lines.join("") + "</svg>" + inside.join("") + "</div>");
      maxH = Math.max(maxH, gh);
      x += gw + GAP;
    });
    var back = false;
    across.forEach(function (e) {
      var a = placed[e.from], b = placed[e.to];
      if (!a || !b) return;
      var d, lx, ly;
      if (b.x > a.x + a.w) {
        var x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2, c = Math.min(60, (x2 - x1) / 2);
        d = "M" + x1 + "," + y1 + "C" + (x1 + c) + "," + y1 + " " + (x2 - c) + "," + y2 + " " + x2 + "," + y2;
        lx = (x1 + x2) / 2; ly = (y1 + y2) / 2 - 4;
      } else {
        // Back to an earlier stage (a loop): over the top of the columns.
        back = true;
        var sx = a.x + a.w / 2, tx = b.x + b.w / 2, lift = 12;
        d = "M" + sx + "," + a.y + "C" + sx + "," + (-lift - 30) + " " + tx + "," + (-lift - 30) + " " + tx + "," + b.y;
        lx = (sx + tx) / 2; ly = -lift - 18;
      }
      paths.push('<path class="cross" data-from="' + esc(e.from) + '" data-to="' + esc(e.to) + '" d="' + d + '" marker-end="url(#arrow-' + j + ')"/>');
      if (e.label && e.label !== "next") paths.push('<text x="' + lx.toFixed(1) + '" y="' + ly.toFixed(1) + '" text-anchor="middle">' + esc(e.label) + "</text>");
    });
    var width = Math.max(x - GAP, 0), top = back ? 56 : 8;
    canvas.style.width = width + "px";
    canvas.style.height = maxH + top + "px";
    canvas.innerHTML = '<div style="position:absolute;left:0;top:' + top + 'px">' + parts.join("").replace(/__H__/g, String(maxH)) +
      '<svg class="edges cross" width="' + width + '" height="' + maxH + '"><defs><marker id="arrow-' + j + '" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#667085"/></marker></defs>' +
      paths.join("") + "</svg></div>";
  }

  // dagre lays out one stage; stages of the same shape (the same card sizes and edges) get the
  // same layout, so it is computed once per shape and reused (dagre is deterministic).
  function layoutColumn(nodes, edges) {
    var local = {};
    var sizes = nodes.map(function (n, k) {
      local[n.id] = k;
      return { w: n.kind === "exit" ? 60 : n.kind === "entry" ? 200 : CARD_W, h: n.kind === "entry" ? 56 + (n.problems.length ? 18 : 0) : height(n) };
    });
    var labels = edges.map(function (e) { return e.label === "next" ? "" : e.label; });
    var key = sizes.map(function (z) { return z.w + "x" + z.h; }).join(",") + "|" +
      edges.map(function (e, i) { return local[e.from] + ">" + local[e.to] + ":" + labels[i]; }).join(",");
    var cached = cacheLayouts && layouts[key];
    if (cached) return cached;
    var g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 34, edgesep: 8, marginx: PAD, marginy: PAD });
    g.setDefaultEdgeLabel(function () { return {}; });
    sizes.forEach(function (z, k) { g.setNode("n" + k, { width: z.w, height: z.h }); });
    edges.forEach(function (e, i) {
      var label = labels[i];
      g.setEdge("n" + local[e.from], "n" + local[e.to], { label: label, width: label.length * 6 + (label ? 6 : 0), height: label ? 12 : 0, labelpos: "c" }, "e" + i);
    });
    dagre.layout(g);
    var result = {
      width: g.graph().width || 0,
      height: g.graph().height || 0,
      nodes: sizes.map(function (z, k) { var p = g.node("n" + k); return { x: p.x, y: p.y, w: z.w, h: z.h }; }),
      edges: edges.map(function (e, i) {
        var ge = g.edge({ v: "n" + local[e.from], w: "n" + local[e.to], name: "e" + i });
        return ge && ge.points ? { points: ge.points, label: labels[i], x: ge.x, y: ge.y } : null;
      }),
    };
    layouts[key] = result;
    return result;
  }

  function card(journey, n, j, left, top, w, h) {
    var style = ' style="left:' + left.toFixed(1) + "px;top:" + top.toFixed(1) + "px;width:" + w + "px;height:" + h + 'px"';
    var attrs = ' data-key="' + esc(j + "/" + n.id) + '" data-node="' + esc(n.id) + '"';
    if (n.kind === "entry") {
      return '<div class="card entry ' + problemClass(journey, n) + '"' + attrs + style + '><div class="title">' + esc(journey.entry) + '</div><div class="id">' +
        esc(journey.goals.length ? "goal " + journey.goals.map(function (g) { return g.name; }).join(", ") : journey.audience ? "with an audience" : "") + "</div>" + chips(journey, n) + "</div>";
    }
    if (n.kind === "exit") return '<div class="card exit"' + attrs + style + ">exit</div>";
    var cls = "card " + (n.send ? "send " : "") + problemClass(journey, n);
    var body = '<div class="id">' + esc(n.id) + '</div><div class="title">' + esc(n.title) + "</div>";
    if (n.send) {
      body += '<div class="chips"><span class="chip ch">' + esc(n.send.channel) + '</span><span class="chip cat-' + esc(n.send.category) + '">' + esc(n.send.category) + "</span></div>" +
        '<div class="preview">' + esc(n.send.preview) + "</div>";
    }
    return '<div class="' + cls + '"' + attrs + style + ">" + body + chips(journey, n) + "</div>";
  }

  function chips(journey, n) {
    if (!n.problems.length) return "";
    return '<div class="chips">' + n.problems.map(function (p) { var pr = journey.problems[p]; return '<span class="chip code ' + esc(pr.severity) + '">' + esc(pr.code) + "</span>"; }).join("") + "</div>";
  }

  // ---- the side panel -----------------------------------------------------------------------
  var panels = { lifecycle: document.getElementById("lifecycle"), details: document.getElementById("details"), problems: document.getElementById("problems") };
  function show(name) {
    Object.keys(panels).forEach(function (k) {
      panels[k].classList.toggle("on", k === name);
      document.querySelector('nav button[data-panel="' + k + '"]').classList.toggle("on", k === name);
    });
  }
  document.querySelectorAll("nav button").forEach(function (b) { b.addEventListener("click", function () { show(b.getAttribute("data-panel")); }); });

  var life = doc.lifecycle, rows = ['<p class="muted">Stages by channels: the messages each stage sends on each channel (a project\'s stages are its lifecycle phases). Click a row to find the stage.</p>',
    '<table class="lifecycle"><tr><th>stage</th>' + life.channels.map(function (c) { return "<th>" + esc(c) + "</th>"; }).join("") + "</tr>"];
  var lastJourney = null;
  life.rows.forEach(function (r) {
    if (r.journey !== lastJourney) {
      rows.push('<tr class="jh"><th colspan="' + (life.channels.length + 1) + '">journey ' + esc(r.journey) + "</th></tr>");
      lastJourney = r.journey;
    }
    rows.push('<tr data-journey="' + esc(r.journey) + '" data-stage="' + esc(r.stage) + '"><td class="s">' + esc(r.stage) + "</td>" +
      r.cells.map(function (c) { return "<td>" + c.map(function (m) { return '<span class="msg">' + esc(m) + "</span>"; }).join("") + "</td>"; }).join("") + "</tr>");
  });
  rows.push("</table>");
  panels.lifecycle.innerHTML = rows.join("");
  panels.lifecycle.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-stage]");
    if (!tr) return;
    var journey = flow.querySelector('.journey[data-journey="' + CSS.escape(tr.getAttribute("data-journey")) + '"]');
    var column = journey && journey.querySelector('.column[data-stage="' + CSS.escape(tr.getAttribute("data-stage")) + '"]');
    if (column) column.scrollIntoView({ block: "nearest", inline: "center" });
  });

  var allProblems = [];
  doc.journeys.forEach(function (journey, j) { journey.problems.forEach(function (p, i) { allProblems.push({ p: p, j: j, i: i }); }); });
  doc.problems.forEach(function (p) { allProblems.push({ p: p, j: -1, i: -1 }); });
  panels.problems.innerHTML = allProblems.length ? allProblems.map(function (x, k) { return problemHtml(x.p, "all-" + k); }).join("") : '<p class="muted">No problems: every send is proved compliant.</p>';
  panels.problems.addEventListener("click", function (ev) {
    var el = ev.target.closest(".problem");
    if (!el) return;
    var x = allProblems[Number(el.getAttribute("data-ref").slice(4))];
    if (x && x.j >= 0) highlight(x.j, x.p.witness, true);
  });

  function problemHtml(p, ref) {
    return '<div class="problem ' + esc(p.severity) + '" data-ref="' + esc(ref) + '"><b>' + esc(p.severity + "[" + p.code + "]") + "</b> " + esc(p.message) +
      '<div class="muted">' + esc(p.at) + "</div>" + (p.witness.length ? '<div class="witness-path">witness: entry → ' + p.witness.map(esc).join(" → ") + "</div>" : "") +
      "<pre>" + esc(p.text) + "</pre></div>";
  }

  var selected = null;
  function highlight(j, witness, scroll) {
    document.querySelectorAll(".witness").forEach(function (el) { el.classList.remove("witness"); });
    var canvas = document.getElementById("canvas-" + j);
    if (!canvas || !witness.length) return;
    var journey = doc.journeys[j];
    var chain = [];
    if (witness[0] === journey.start) chain.push("entry");
    chain = chain.concat(witness);
    chain.forEach(function (id, k) {
      var el = canvas.querySelector('.card[data-node="' + CSS.escape(id) + '"]');
      if (el) el.classList.add("witness");
      if (k > 0) {
        canvas.querySelectorAll('path[data-from="' + CSS.escape(chain[k - 1]) + '"][data-to="' + CSS.escape(id) + '"]').forEach(function (p) { p.classList.add("witness"); });
      }
    });
    var last = canvas.querySelector('.card[data-node="' + CSS.escape(witness[witness.length - 1]) + '"]');
    if (scroll && last) last.scrollIntoView({ block: "nearest", inline: "center" });
  }

  flow.addEventListener("click", function (ev) {
    var el = ev.target.closest(".card");
    if (!el) return;
    var hit = byKey[el.getAttribute("data-key")];
    if (!hit) return;
    if (selected) selected.classList.remove("sel");
    selected = el;
    el.classList.add("sel");
    panels.details.innerHTML = details(hit.journey, hit.node, hit.j);
    show("details");
    var withWitness = hit.node.problems.map(function (p) { return hit.journey.problems[p]; }).filter(function (p) { return p.witness.length; });
    highlight(hit.j, withWitness.length ? withWitness[0].witness : [], false);
  });
  panels.details.addEventListener("click", function (ev) {
    var el = ev.target.closest(".problem");
    if (!el) return;
    var parts = el.getAttribute("data-ref").split("/");
    var journey = doc.journeys[Number(parts[0])];
    if (journey) highlight(Number(parts[0]), journey.problems[Number(parts[1])].witness, true);
  });

  function details(journey, n, j) {
    if (n.kind === "entry") {
      return "<h3>journey " + esc(journey.name) + "</h3><dl class=\"record\"><dt>entry</dt><dd>" + esc(journey.entry) + "</dd><dt>audience</dt><dd>" + (journey.audience ? "yes" : "everyone") +
        "</dd><dt>goals</dt><dd>" + (journey.goals.map(function (g) { return esc(g.name + " = " + g.event + " within " + g.within); }).join("<br>") || "none") +
        "</dd><dt>exits</dt><dd>" + (journey.exits.map(esc).join("<br>") || "none") + "</dd><dt>reentry</dt><dd>" + esc(journey.reentry || "any time after a run ends") + "</dd><dt>declared</dt><dd>" + esc(journey.at) + "</dd></dl>" +
        (n.problems.length ? "<h3>problems</h3>" + n.problems.map(function (p) { return problemHtml(journey.problems[p], j + "/" + p); }).join("") : "");
    }
    var out = "<h3>" + esc(n.id) + "</h3><div>" + esc(n.title) + ' <span class="muted">(' + esc(n.kind) + ")</span></div>";
    if (n.send) {
      out += '<dl class="record"><dt>message</dt><dd>' + esc(n.send.message) + "</dd><dt>channel</dt><dd>" + esc(n.send.channel) + "</dd><dt>category</dt><dd>" + esc(n.send.category) +
        "</dd><dt>text</dt><dd>" + esc(n.send.preview) + "</dd></dl><h3>compliance record</h3>";
      var r = n.send.record;
      out += r ? '<dl class="record"><dt>consent</dt><dd>' + esc(r.consent) + (r.granted_by.length ? "<br>granted by " + r.granted_by.map(esc).join(", ") : "") +
        "</dd><dt>window</dt><dd>" + esc(r.window) + "</dd><dt>form</dt><dd>" + esc(r.form) + "</dd><dt>quiet hours</dt><dd>" + esc(r.quiet_hours) +
        "</dd><dt>frequency</dt><dd>" + esc(r.frequency) + "</dd></dl>" : '<p class="muted">No record: the analyses did not run on this journey (see its problems).</p>';
    }
    if (n.problems.length) {
      out += "<h3>problems</h3>" + n.problems.map(function (p) { return problemHtml(journey.problems[p], j + "/" + p); }).join("");
    }
    return out;
  }

  var errors = allProblems.filter(function (x) { return x.p.severity === "error"; }).length;
  var sends = 0;
  doc.journeys.forEach(function (journey) { journey.nodes.forEach(function (n) { if (n.send) sends++; }); });
  function count(n, what) { return n + " " + what + (n === 1 ? "" : "s"); }
  document.getElementById("counts").innerHTML = esc(count(doc.journeys.length, "journey") + ", " + count(sends, "send") + ", ") +
    (errors ? '<span class="bad">' + esc(count(errors, "error")) + "</span>" : "no errors") + esc(", " + count(allProblems.length - errors, "warning"));

  // Rendered: tell a harness how long it took (docs/performance.md), after the next paint.
  var drawn = performance.now();
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      window.journeyMapRendered = { renderMs: drawn - t0, paintedMs: performance.now() - t0, sinceNavigationMs: performance.now() };
      document.body.setAttribute("data-rendered", "true");
    });
  });
})();
