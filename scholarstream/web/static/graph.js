// The profile's research graph: loads cytoscape.js only when the graph section comes into view,
// then draws /researchers/<id>/graph. Selecting a node goes to its page: a researcher's profile,
// a topic's search, a paper's arXiv abstract. Without JavaScript the section says where its
// nodes are listed instead.
(function () {
  "use strict";
  var section = document.getElementById("graph");
  if (!section) { return; }
  var canvas = document.getElementById("graph-canvas");
  var status = section.querySelector(".graph-status");

  function say(text) { status.textContent = text; }

  function href(node) {
    var id = node.id;
    if (node.kind === "researcher") { return "/researchers/" + encodeURIComponent(id); }
    if (node.kind === "topic") {
      return "/?q=" + encodeURIComponent(node.label) + "&topic=" + encodeURIComponent(id.replace(/^topic:/, ""));
    }
    if (node.kind === "paper") { return "https://arxiv.org/abs/" + encodeURIComponent(id.replace(/^paper:/, "")); }
    return null;
  }

  function short(text) { return text.length > 48 ? text.slice(0, 45) + "\u2026" : text; }

  function draw(graph) {
    var centre = graph.researcher_id;
    var ids = {};
    var elements = graph.nodes.map(function (node) {
      ids[node.id] = true;
      return { data: { id: node.id, label: short(node.label), kind: node.kind, href: href(node), centre: node.id === centre ? 1 : 0 } };
    });
    graph.edges.forEach(function (edge, index) {
      if (ids[edge.source] && ids[edge.target]) {
        elements.push({ data: { id: "e" + index, source: edge.source, target: edge.target, kind: edge.kind } });
      }
    });
    var cy = window.cytoscape({
      container: canvas,
      elements: elements,
      layout: { name: "concentric", concentric: function (n) { return n.data("centre") ? 2 : 1; }, levelWidth: function () { return 1; }, minNodeSpacing: 12 },
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 110, "background-color": "#57606a", "color": "#1b1f24", "width": 14, "height": 14 } },
        { selector: "node[kind = 'researcher']", style: { "background-color": "#0b5cad" } },
        { selector: "node[kind = 'topic']", style: { "background-color": "#1a7f37", "shape": "round-rectangle" } },
        { selector: "node[kind = 'paper']", style: { "background-color": "#9a6700", "shape": "diamond" } },
        { selector: "node[centre = 1]", style: { "width": 26, "height": 26, "font-weight": "bold", "font-size": 11 } },
        { selector: "edge", style: { "width": 1, "line-color": "#d0d7de", "curve-style": "straight" } }
      ],
      userZoomingEnabled: false,
      boxSelectionEnabled: false
    });
    cy.on("tap", "node", function (event) {
      var target = event.target.data("href");
      if (target && event.target.id() !== centre) { window.location.assign(target); }
    });
    window.scholarstreamGraph = cy;
    canvas.setAttribute("data-nodes", String(graph.nodes.length));
    say(graph.nodes.length + " nodes: the researcher, collaborators, similar researchers, topics and papers.");
  }

  function load() {
    say("Loading the graph\u2026");
    var script = document.createElement("script");
    script.src = section.getAttribute("data-library");
    script.onerror = function () { say("The graph library could not be loaded."); };
    script.onload = function () {
      fetch(section.getAttribute("data-graph-url"), { headers: { "Accept": "application/json" } })
        .then(function (answer) {
          if (!answer.ok) { throw new Error("the graph answered " + answer.status); }
          return answer.json();
        })
        .then(draw)
        .catch(function () { say("The graph could not be loaded; the collaborators and topics above are its nodes."); });
    };
    document.head.appendChild(script);
  }

  if ("IntersectionObserver" in window) {
    var watcher = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        watcher.disconnect();
        load();
      }
    });
    watcher.observe(section);
  } else {
    load();
  }
}());
