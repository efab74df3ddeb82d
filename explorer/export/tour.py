"""A guided tour for a class: one offline page with every step, and numbered PNG slides.

:func:`tour_page` writes one HTML file: the tour's title, the step's heading and text, *Previous* and
*Next* buttons, and below them the step's offline 3D page (:func:`explorer.export.page.page_text`), one
per step, held in the file and shown in a frame. :func:`tour_slides` writes ``01-<step>.png``,
``02-<step>.png``... with the step's heading and text above the picture. :func:`export_tour` writes both
into a folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.export.files import atomic_output

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.tours import Tour

#: Slide size (pixels) of the picture under the step's text.
SLIDE_SIZE = (1920, 1080)
#: Heading and text sizes on a slide, in pixels at 1080 rows.
HEADING_SIZE, TEXT_SIZE = 44, 30

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; color: #1d1d1d; background: #fff; }
  body { display: flex; flex-direction: column; }
  header { padding: 0.5em 1em; border-bottom: 1px solid #8a8a8a; }
  h1 { font-size: 1.3em; margin: 0.1em 0 0.3em; }
  h2 { font-size: 1.1em; margin: 0.3em 0; }
  .tour-text { margin: 0.3em 0 0.5em; max-width: 60em; line-height: 1.45; }
  nav { display: flex; gap: 0.6em; align-items: center; flex-wrap: wrap; }
  button { font: inherit; padding: 0.35em 1em; border: 1px solid #555; border-radius: 4px; background: #f2f2f2;
           color: #1d1d1d; cursor: pointer; }
  button:disabled { color: #6b6b6b; cursor: default; }
  button:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 1px; }
  main { flex: 1 1 auto; display: flex; min-height: 420px; }
  iframe { flex: 1 1 auto; border: 0; width: 100%; }
</style>
</head>
<body>
<header>
  <h1>__TITLE__</h1>
  <nav aria-label="Tour steps">
    <button type="button" id="previous">Previous step</button>
    <button type="button" id="next">Next step</button>
    <p id="counter" role="status" aria-live="polite"></p>
  </nav>
  <h2 id="heading"></h2>
  <p class="tour-text" id="text"></p>
</header>
<main>
  <iframe id="view" title="3D view of this step"></iframe>
</main>
<script type="application/json" id="tour-data">__DATA__</script>
<script>
(() => {
  const tour = JSON.parse(document.getElementById("tour-data").textContent);
  const frame = document.getElementById("view");
  const previous = document.getElementById("previous");
  const next = document.getElementById("next");
  let index = -1;
  const show = (wanted) => {
    const i = Math.max(0, Math.min(tour.steps.length - 1, wanted));
    if (i === index) return;
    index = i;
    const step = tour.steps[i];
    document.getElementById("heading").textContent = step.title;
    document.getElementById("text").textContent = step.text;
    document.getElementById("counter").textContent = `Step ${i + 1} of ${tour.steps.length}: ${step.title}`;
    frame.title = `3D view: ${step.title}`;
    frame.srcdoc = step.page;
    previous.disabled = i === 0;
    next.disabled = i === tour.steps.length - 1;
    document.body.dataset.step = String(i + 1);
    history.replaceState(null, "", `#step=${i + 1}`);
  };
  previous.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  const asked = /^#step=(\\d+)$/.exec(location.hash);
  show(asked ? Number(asked[1]) - 1 : 0);
})();
</script>
</body>
</html>
"""


@dataclass(frozen=True)
class TourExport:
    """What :func:`export_tour` wrote, and how long it took (seconds)."""

    page: Path | None
    slides: list[Path]
    seconds: float


def find_tour(tour: "Tour | str", atlas: "Atlas") -> "Tour":
    """A tour given itself or its id (a cause id or alias, in any case).

    Raises
    ------
    ValueError
        For a name that is no tour.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> find_tour("DVT", load_atlas(meshes=False)).id
    'deep_vein_thrombosis'
    """
    if not isinstance(tour, str):
        return tour
    from explorer.causes import find_cause

    try:
        cause = find_cause(tour, atlas.causes)
    except (KeyError, ValueError):
        cause = tour
    if cause not in atlas.tours:
        raise ValueError(f"no tour {tour!r} (tours: {', '.join(sorted(atlas.tours)) or 'none'})")
    return atlas.tours[cause]


def tour_page_text(tour: "Tour | str", *, atlas: "Atlas | None" = None) -> str:
    """The offline tour page (see :func:`tour_page`) as text."""
    from explorer.export.page import page_text

    atlas = _atlas(atlas)
    tour = find_tour(tour, atlas)
    steps = [{"title": step.title, "text": step.text, "page": page_text(step.view(atlas), atlas=atlas)}
             for step in tour.steps]
    # JSON inside a script element: no '<' may close it early.
    data = json.dumps({"title": tour.title, "steps": steps}, separators=(",", ":")).replace("<", "\\u003c")
    fills = {"__TITLE__": escape(tour.title), "__DATA__": data}
    page = _PAGE.replace("__TITLE__", fills["__TITLE__"])
    return page.replace("__DATA__", fills["__DATA__"], 1)


def tour_page(tour: "Tour | str", path: str | Path, *, atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Write the tour as one HTML file that works from disk with no network.

    Each step's 3D view is the offline page :func:`explorer.export.page.page_text` makes of it (drag,
    zoom, click a structure to read about it, the disclaimer and the attribution); the tour page shows
    one at a time under the step's heading and text, with *Previous* and *Next* buttons. ``#step=3`` at the
    end of its address opens it at the third step.

    Examples
    --------
    >>> import tempfile
    >>> out = tour_page("pcl_tear", Path(tempfile.mkdtemp()) / "pcl.html")
    >>> "Next step" in out.read_text()
    True
    """
    from explorer.export.page import write_page

    return write_page(path, lambda: tour_page_text(tour, atlas=atlas), force=force, what="a tour page")


def slide_name(number: int, step) -> str:
    """A slide's file name: its two-digit number and the step's title.

    Examples
    --------
    >>> from explorer.tours import TourStep
    >>> slide_name(3, TourStep("The PCL from behind", ("posterior",), ("femur",)))
    '03-the-pcl-from-behind.png'
    """
    return f"{number:02d}-{step.slug}.png"


def tour_slides(tour: "Tour | str", folder: str | Path, *, atlas: "Atlas | None" = None,
                size: tuple[int, int] = SLIDE_SIZE, force: bool = False) -> list[Path]:
    """Write one PNG slide per step into ``folder``: ``01-<step>.png``, ``02-<step>.png``...

    Each slide is the step's picture (:func:`explorer.export.picture.png`: its labels, the disclaimer and
    the attribution) under a band holding "Step n of N", the step's heading and its text.

    Raises
    ------
    OutputExistsError
        A slide exists and ``force`` is not set; nothing is written then.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in tour_slides("pcl_tear", tempfile.mkdtemp(), size=(320, 180))][:1]
    ['01-the-ligament-behind-the-joint.png']
    """
    from explorer.export.files import OutputExistsError

    atlas = _atlas(atlas)
    tour = find_tour(tour, atlas)
    folder = Path(folder)
    paths = [folder / slide_name(i, step) for i, step in enumerate(tour.steps, 1)]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise OutputExistsError(f"{existing[0]} exists (use --force to replace it)")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    for number, (step, path) in enumerate(zip(tour.steps, paths), 1):
        _slide(step, f"Step {number} of {len(tour.steps)} · {tour.title}", path, atlas, size)
    return paths


def export_tour(tour: "Tour | str", folder: str | Path, *, atlas: "Atlas | None" = None, page: bool = True,
                slides: bool = True, size: tuple[int, int] = SLIDE_SIZE, force: bool = False) -> TourExport:
    """Write the tour's offline page ``<tour id>.html`` and its slides into ``folder`` (made if missing).

    Examples
    --------
    >>> import tempfile
    >>> done = export_tour("hamstring_strain", tempfile.mkdtemp(), slides=False)
    >>> done.page.name, done.slides
    ('hamstring_strain.html', [])
    """
    from explorer.export.files import OutputExistsError

    started = time.perf_counter()
    atlas = _atlas(atlas)
    tour = find_tour(tour, atlas)
    folder = Path(folder)
    page_path = folder / f"{tour.id}.html"
    if page and page_path.exists() and not force:
        raise OutputExistsError(f"{page_path} exists (use --force to replace it)")
    folder.mkdir(parents=True, exist_ok=True)
    written = tour_slides(tour, folder, atlas=atlas, size=size, force=force) if slides else []
    if page:
        tour_page(tour, page_path, atlas=atlas, force=force)
    return TourExport(page_path if page else None, written, time.perf_counter() - started)


def _wrap(text: str, measure, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` as ``measure`` measures them (a longer word keeps its own line).

    Examples
    --------
    >>> _wrap("one two three four", len, 9)
    ['one two', 'three', 'four']
    """
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _atlas(atlas: "Atlas | None") -> "Atlas":
    if atlas is not None:
        return atlas
    from explorer.atlas import load_atlas

    return load_atlas()


def _slide(step, kicker: str, path: Path, atlas: "Atlas", size: tuple[int, int]) -> None:
    """Render the step's picture and put its heading and text in a band above it."""
    import tempfile

    from PIL import Image, ImageDraw, ImageFont

    from explorer.export.picture import png

    with tempfile.TemporaryDirectory() as scratch:
        picture = png(step.view(atlas), Path(scratch) / "step.png", size=size, atlas=atlas, title="")
        with Image.open(picture) as opened:
            image = opened.convert("RGB")
    width = image.width
    unit = max(size[1], size[0] * 9 / 16) / 1080
    margin = round(40 * unit)
    fonts = [ImageFont.load_default(size=max(10, round(s * unit))) for s in (TEXT_SIZE * 0.8, HEADING_SIZE, TEXT_SIZE)]
    measure = ImageDraw.Draw(image)
    lines = [(kicker, fonts[0], (90, 90, 90)), (step.title, fonts[1], (0, 0, 0))]
    lines += [(line, fonts[2], (30, 30, 30))
              for line in _wrap(step.text, lambda t: measure.textlength(t, font=fonts[2]), width - 2 * margin)]
    band = round(2 * margin / 2 + sum(font.size * 1.3 for _, font, _ in lines))
    slide = Image.new("RGB", (width, band + image.height), (255, 255, 255))
    slide.paste(image, (0, band))
    draw = ImageDraw.Draw(slide)
    y = margin / 2
    for text, font, colour in lines:
        draw.text((margin, y), text, font=font, fill=colour)
        y += font.size * 1.3
    draw.line([(margin, band - 2 * unit), (width - margin, band - 2 * unit)], fill=(160, 160, 160), width=max(1, round(2 * unit)))
    with atomic_output(path, force=True) as temporary:
        slide.save(temporary, format="PNG", compress_level=3)
