// GraphView front end (anywidget ESM, no imports, no network).
//
// The SVG arrives once, in the `svg` trait; it is parsed as XML (nothing in it runs) and its
// node and edge groups are indexed by their data-node / data-edge attributes. After that a step
// only toggles classes: `node_states` holds the nodes that are not idle, `active_edges` the
// edges to light, and each update clears what was lit before and is absent now, then lights
// what is new. The work is proportional to what is lit, not to the size of the graph.

const STATES = ["running", "done", "error", "interrupted", "cached"];
const STATE_CLASSES = STATES.map((state) => `nbp-${state}`);
const ACTIVE_CLASS = "nbp-active";
const LEGEND = [
  ["idle", "nbp-swatch nbp-swatch-idle"],
  ...STATES.map((state) => [state, `nbp-swatch nbp-swatch-${state}`]),
  ["active edge", "nbp-swatch nbp-swatch-active"],
  ["conditional edge", "nbp-swatch nbp-swatch-conditional"],
];

function push(map, key, value) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function parseSvg(text) {
  if (!text) return null;
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.localName !== "svg" || doc.getElementsByTagName("parsererror").length > 0) {
    return null;
  }
  return document.importNode(root, true);
}

// node id -> [<g>], edge id -> [<g>, and for a join member the shared segment and point].
function indexSvg(svg) {
  const nodes = new Map();
  const edges = new Map();
  const joinParts = new Map();
  for (const g of svg.querySelectorAll("g[data-node]")) push(nodes, g.dataset.node, g);
  for (const g of svg.querySelectorAll("g[data-join]:not([data-edge])")) {
    push(joinParts, g.dataset.join, g);
  }
  for (const g of svg.querySelectorAll("g[data-edge]")) {
    push(edges, g.dataset.edge, g);
    for (const part of joinParts.get(g.dataset.join) ?? []) push(edges, g.dataset.edge, part);
  }
  return { nodes, edges };
}

function buildLegend() {
  const legend = document.createElement("div");
  legend.className = "nbp-legend";
  for (const [label, swatchClass] of LEGEND) {
    const item = document.createElement("span");
    item.className = "nbp-legend-item";
    const swatch = document.createElement("span");
    swatch.className = swatchClass;
    item.append(swatch, document.createTextNode(label));
    legend.append(item);
  }
  return legend;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "nbp-graph-view";
  const canvas = document.createElement("div");
  canvas.className = "nbp-graph-canvas";
  const legend = buildLegend();
  root.append(canvas, legend);
  el.append(root);

  let index = { nodes: new Map(), edges: new Map() };
  let lit = new Map(); // <g> -> state class currently on it
  let active = new Set(); // <g> currently carrying ACTIVE_CLASS

  function showStates() {
    const states = model.get("node_states") ?? {};
    const next = new Map();
    for (const [nodeId, state] of Object.entries(states)) {
      const stateClass = STATE_CLASSES[STATES.indexOf(state)];
      if (!stateClass) continue;
      for (const g of index.nodes.get(nodeId) ?? []) next.set(g, stateClass);
    }
    for (const [g, stateClass] of lit) {
      if (next.get(g) !== stateClass) g.classList.remove(stateClass);
    }
    for (const [g, stateClass] of next) {
      if (lit.get(g) !== stateClass) g.classList.add(stateClass);
    }
    lit = next;
  }

  function showEdges() {
    const next = new Set();
    for (const edgeId of model.get("active_edges") ?? []) {
      for (const g of index.edges.get(edgeId) ?? []) next.add(g);
    }
    for (const g of active) if (!next.has(g)) g.classList.remove(ACTIVE_CLASS);
    for (const g of next) if (!active.has(g)) g.classList.add(ACTIVE_CLASS);
    active = next;
  }

  function showSvg() {
    const svg = parseSvg(model.get("svg"));
    lit = new Map();
    active = new Set();
    if (svg === null) {
      canvas.replaceChildren(document.createTextNode("(the graph's drawing could not be read)"));
      index = { nodes: new Map(), edges: new Map() };
      return;
    }
    canvas.replaceChildren(svg);
    index = indexSvg(svg);
    showStates();
    showEdges();
  }

  function showLegend() {
    legend.hidden = !model.get("legend");
  }

  showSvg();
  showLegend();
  model.on("change:svg", showSvg);
  model.on("change:node_states", showStates);
  model.on("change:active_edges", showEdges);
  model.on("change:legend", showLegend);
  return () => {
    model.off("change:svg", showSvg);
    model.off("change:node_states", showStates);
    model.off("change:active_edges", showEdges);
    model.off("change:legend", showLegend);
  };
}

export default { render };
