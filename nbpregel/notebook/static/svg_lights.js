// Lighting a drawn graph's SVG, shared by the GraphView widget (graph_view.js) and the replay
// page of export_html (replay.js): each is shipped as this file's text followed by its own, so
// both stay one self-contained script (no imports, no network).
//
// indexSvg finds the node and edge groups once, by their data-node / data-edge attributes. The
// lights of an index then show a step by toggling classes: they keep the groups lit last time,
// clear those absent from the new step and light what is new. The work is proportional to what
// is or was lit, never to the size of the graph.

const STATES = ["running", "done", "error", "interrupted", "cached"];
const STATE_CLASSES = new Map(STATES.map((state) => [state, `nbp-${state}`]));
const ACTIVE_CLASS = "nbp-active";

function push(map, key, value) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// node id -> [<g>], edge id -> [<g>, and for a join member the shared segment and point].
function indexSvg(root) {
  const nodes = new Map();
  const edges = new Map();
  const joinParts = new Map();
  for (const g of root.querySelectorAll("g[data-node]")) push(nodes, g.dataset.node, g);
  for (const g of root.querySelectorAll("g[data-join]:not([data-edge])")) {
    push(joinParts, g.dataset.join, g);
  }
  for (const g of root.querySelectorAll("g[data-edge]")) {
    push(edges, g.dataset.edge, g);
    for (const part of joinParts.get(g.dataset.join) ?? []) push(edges, g.dataset.edge, part);
  }
  return { nodes, edges };
}

// showStates({node id: state}) and showEdges([edge id]) on the groups of `index`.
function svgLights(index) {
  let lit = new Map(); // <g> -> state class currently on it
  let active = new Set(); // <g> currently carrying ACTIVE_CLASS

  function showStates(states) {
    const next = new Map();
    for (const [nodeId, state] of Object.entries(states)) {
      const stateClass = STATE_CLASSES.get(state);
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

  function showEdges(edgeIds) {
    const next = new Set();
    for (const edgeId of edgeIds) {
      for (const g of index.edges.get(edgeId) ?? []) next.add(g);
    }
    for (const g of active) if (!next.has(g)) g.classList.remove(ACTIVE_CLASS);
    for (const g of next) if (!active.has(g)) g.classList.add(ACTIVE_CLASS);
    active = next;
  }

  return { showStates, showEdges };
}
