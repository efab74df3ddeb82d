// Native form controls: the visible words are the label (clicking them works the control, screen readers
// read them), and a slider says its value.
let made = 0;

function checkBox(model, el) {
  const label = document.createElement("label");
  label.className = "knee-control knee-check";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.checked = model.checked;
  input.addEventListener("change", () => { model.checked = input.checked; });
  model.on("checked", () => { input.checked = model.checked; });
  const words = document.createElement("span");
  words.textContent = model.label;
  label.append(input, words);
  el.append(label);
}

function slider(model, el) {
  const row = document.createElement("div");
  row.className = "knee-control knee-range";
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id: `knee-control-${++made}`, min: model.start, max: model.end,
                         step: model.step, value: model.value });
  const label = document.createElement("label");
  label.htmlFor = input.id;
  label.textContent = model.label;
  const shown = document.createElement("span");
  shown.className = "knee-value";
  shown.setAttribute("aria-hidden", "true");  // the slider says it with aria-valuetext
  const say = () => {
    const text = `${Number(input.value)}${model.unit}`;
    shown.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  let pending = false;
  input.addEventListener("input", () => {
    say();
    if (!model.live || pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; model.value = Number(input.value); });
  });
  input.addEventListener("change", () => { model.value = Number(input.value); });
  model.on("value", () => { input.value = model.value; say(); });
  say();
  row.append(label, shown, input);
  el.append(row);
}

export function render({ model, el }) {
  (model.kind === "check" ? checkBox : slider)(model, el);
}
