// Native form controls: the visible words are the label (clicking them works the control, screen readers
// read them), and a slider says its value.
export function render({ model, el }) {
  const label = document.createElement("label");
  const input = document.createElement("input");
  const words = document.createElement("span");
  words.textContent = model.label;
  label.className = `knee-control knee-${model.kind}`;
  if (model.kind === "check") {
    input.type = "checkbox";
    input.checked = model.checked;
    input.addEventListener("change", () => { model.checked = input.checked; });
    label.append(input, words);
    model.on("checked", () => { input.checked = model.checked; });
  } else {
    input.type = "range";
    Object.assign(input, { min: model.start, max: model.end, step: model.step, value: model.value });
    const output = document.createElement("output");
    const say = () => {
      const text = `${Number(input.value)}${model.unit}`;
      output.textContent = text;
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
    label.append(words, output, input);
    model.on("value", () => { input.value = model.value; say(); });
    say();
  }
  el.append(label);
}
