// GraphView front end (anywidget ESM, no imports, no network), shipped after svg_lights.js.
//
// The SVG arrives once, in the `svg` trait; it is parsed as XML (nothing in it runs) and indexed
// by indexSvg. After that a step only toggles classes (svgLights): `node_states` holds the nodes
// that are not idle, `active_edges` the edges to light.

const LEGEND = [
  ["idle", "nbp-swatch nbp-swatch-idle"],
  ...STATES.map((state) => [state, `nbp-swatch nbp-swatch-${state}`]),
  ["active edge", "nbp-swatch nbp-swatch-active"],
  ["conditional edge", "nbp-swatch nbp-swatch-conditional"],
];
const NOTHING = { nodes: new Map(), edges: new Map() };

function parseSvg(text) {
  if (!text) return null;
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.localName !== "svg" || doc.getElementsByTagName("parsererror").length > 0) {
    return null;
  }
  return document.importNode(root, true);
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

  let lights = svgLights(NOTHING);
  const showStates = () => lights.showStates(model.get("node_states") ?? {});
  const showEdges = () => lights.showEdges(model.get("active_edges") ?? []);

  function showSvg() {
    const svg = parseSvg(model.get("svg"));
    if (svg === null) {
      canvas.replaceChildren(document.createTextNode("(the graph's drawing could not be read)"));
      lights = svgLights(NOTHING);
      return;
    }
    canvas.replaceChildren(svg);
    lights = svgLights(indexSvg(svg));
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
