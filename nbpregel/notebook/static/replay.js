// Replay of a recorded run, for the page written by export_html (no imports, no network),
// shipped after svg_lights.js.
//
// The recorded runs come from <script type="application/json" id="nbp-data">: the root graph's
// first, then each subgraph run. The "graph" choice (shown when subgraphs ran) picks the run the
// slider walks through; a newly chosen run opens on its latest step, as the RunView does.
// Showing a step lights the inline SVG's node and edge groups as the GraphView widget does
// (svgLights) and fills the tables with textContent only: no recorded value (node name,
// namespace, state) is ever parsed as HTML.
(() => {
  const data = JSON.parse(document.getElementById("nbp-data").textContent);
  const page = document.querySelector(".nbp-replay");
  const find = (name) => page.querySelector(`[data-role="${name}"]`);
  const slider = find("slider");
  const play = find("play");
  const label = find("label");
  const choice = find("graph");

  const lights = svgLights(indexSvg(page));
  let run = data.runs[0];

  function table(element, headers, rows, classes, empty, more) {
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
    if (more) {
      // the rows the export left out (a step of thousands of tasks), counted
      const note = document.createElement("div");
      note.className = "nbp-more";
      note.textContent = more;
      element.append(note);
    }
  }

  function show(index) {
    const step = run.steps[index];
    if (step === undefined) {
      // a run without a recorded step: nothing lit, nothing in the tables
      lights.showStates({});
      lights.showEdges([]);
      label.textContent = "no step recorded";
      for (const name of ["tasks", "writes", "state"]) find(name).replaceChildren();
      return;
    }
    lights.showStates(step.nodes);
    lights.showEdges(step.edges);
    label.textContent = `step ${step.step} (${step.status})`;
    const { headers } = data;
    table(find("tasks"), headers.tasks, step.tasks, step.taskClasses, "no task", step.tasksMore);
    table(find("writes"), headers.writes, step.writes, null, "no write", step.writesMore);
    table(find("state"), headers.state, step.state, step.stateClasses, "empty state", step.stateMore);
  }

  const last = () => run.steps.length - 1;

  let timer = null;
  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "\u25b6 play";
  }
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    if (+slider.value >= last()) slider.value = 0;
    play.textContent = "\u23f8 pause";
    show(+slider.value);
    timer = setInterval(() => {
      if (+slider.value >= last()) return stop();
      slider.value = +slider.value + 1;
      show(+slider.value);
    }, data.interval);
  });
  slider.addEventListener("input", () => show(+slider.value));

  function choose(index) {
    stop();
    run = data.runs[index];
    slider.max = Math.max(last(), 0);
    slider.value = slider.max;
    show(+slider.value);
  }
  data.runs.forEach((each, index) => choice.add(new Option(each.label, String(index))));
  find("graph-choice").hidden = data.runs.length < 2;
  choice.addEventListener("change", () => choose(+choice.value));
  choose(0);
})();
