// Replay of a recorded run, for the page written by export_html (no imports, no network).
//
// The run's steps come from <script type="application/json" id="nbp-data">. Showing a step
// toggles state classes on the inline SVG's node and edge groups (found once, by their
// data-node / data-edge attributes) and fills the tables with textContent only: no recorded
// value is ever parsed as HTML.
(() => {
  const STATES = ["running", "done", "error", "interrupted", "cached"];
  const data = JSON.parse(document.getElementById("nbp-data").textContent);
  const page = document.querySelector(".nbp-replay");
  const find = (name) => page.querySelector(`[data-role="${name}"]`);
  const slider = find("slider");
  const play = find("play");
  const label = find("label");

  const push = (map, key, value) => map.set(key, [...(map.get(key) ?? []), value]);
  const nodes = new Map();
  const edges = new Map();
  const joinParts = new Map();
  for (const g of page.querySelectorAll("g[data-node]")) push(nodes, g.dataset.node, g);
  for (const g of page.querySelectorAll("g[data-join]:not([data-edge])")) {
    push(joinParts, g.dataset.join, g);
  }
  for (const g of page.querySelectorAll("g[data-edge]")) {
    push(edges, g.dataset.edge, g);
    for (const part of joinParts.get(g.dataset.join) ?? []) push(edges, g.dataset.edge, part);
  }

  function table(element, headers, rows, classes, empty) {
    if (rows === null || rows.length === 0) {
      const note = document.createElement("div");
      note.className = "nbp-empty";
      note.textContent = rows === null ? data.notSaved : empty;
      element.replaceChildren(note);
      return;
    }
    const result = document.createElement("table");
    result.className = "nbp-table";
    const head = result.insertRow();
    for (const title of headers) {
      const cell = document.createElement("th");
      cell.textContent = title;
      head.append(cell);
    }
    rows.forEach((row, index) => {
      const line = result.insertRow();
      if (classes && classes[index]) line.className = classes[index];
      for (const value of row) line.insertCell().textContent = value;
    });
    element.replaceChildren(result);
  }

  let lit = [];
  function show(index) {
    const step = data.steps[index];
    for (const [g, cls] of lit) g.classList.remove(cls);
    lit = [];
    for (const [id, state] of Object.entries(step.nodes)) {
      if (!STATES.includes(state)) continue;
      for (const g of nodes.get(id) ?? []) lit.push([g, `nbp-${state}`]);
    }
    for (const id of step.edges) for (const g of edges.get(id) ?? []) lit.push([g, "nbp-active"]);
    for (const [g, cls] of lit) g.classList.add(cls);
    label.textContent = `step ${step.step} (${step.status})`;
    table(find("tasks"), data.headers.tasks, step.tasks, step.taskClasses, "no task");
    table(find("writes"), data.headers.writes, step.writes, null, "no write");
    table(find("state"), data.headers.state, step.state, step.stateClasses, "empty state");
  }

  let timer = null;
  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "\u25b6 play";
  }
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    if (+slider.value >= data.steps.length - 1) slider.value = 0;
    play.textContent = "\u23f8 pause";
    show(+slider.value);
    timer = setInterval(() => {
      if (+slider.value >= data.steps.length - 1) return stop();
      slider.value = +slider.value + 1;
      show(+slider.value);
    }, data.interval);
  });
  slider.addEventListener("input", () => show(+slider.value));
  if (data.steps.length > 0) show(+slider.value);
})();
