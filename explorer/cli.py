"""The ``knee-explorer`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from explorer.atlas import default_root, load_atlas
from explorer.problems import AtlasError


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 problems found, 2 bad usage, 130 Ctrl-C, 143 SIGTERM)."""
    from explorer.export.files import Terminated

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except AtlasError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) found", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped early (e.g. `| head`): not an error of ours
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print(f"knee-explorer {args.command}: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except Terminated as stop:
        print(f"knee-explorer {args.command}: stopped (SIGTERM)", file=sys.stderr)
        return stop.code
    except (KeyError, ValueError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"knee-explorer {args.command}: {message}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knee-explorer", description="Interactive 3D anatomy explorer of the knee.")
    parser.add_argument("--root", type=Path, default=None,
                        help="folder holding annotations/ and meshes/ (default: $KNEE_EXPLORER_ROOT or this checkout)")
    parser.add_argument("--geometry", default=None, metavar="NAME",
                        help="geometry set to draw: mskt (committed MRI knee) or spl (SPL Knee Atlas, once built); "
                             "default: $KNEE_EXPLORER_GEOMETRY, else the best one present")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    # --geometry is also accepted after the command; given there, it wins.
    choose = argparse.ArgumentParser(add_help=False)
    choose.add_argument("--geometry", default=argparse.SUPPRESS, metavar="NAME", help="geometry set (as above)")

    validate = commands.add_parser("validate", parents=[choose], help="check annotations, meshes and provenance; exit 1 listing problems",
                                   description="Check every annotation, mesh, checksum and provenance entry.")
    validate.set_defaults(run=_validate)

    listing = commands.add_parser("list", parents=[choose], help="list structures with their group and linked pain causes",
                                  description="List structures with their group and linked pain causes, or with "
                                              "--causes the pain causes with their titles and aliases.")
    listing.add_argument("--json", action="store_true", help="print a machine-readable JSON list")
    listing.add_argument("--causes", action="store_true",
                         help="list the pain cause ids (what export --cause takes) with their titles and aliases")
    listing.set_defaults(run=_list)

    credits = commands.add_parser("credits", parents=[choose], help="print the attribution that exports must carry",
                                  description="Print each mesh's licence and the attribution exports must carry.")
    credits.set_defaults(run=_credits)

    build = commands.add_parser(
        "build-meshes", parents=[choose], help="build a geometry set from the open source data",
        description="Build a geometry set from its source data, checking each source's sha256: mskt (default) "
                    "rebuilds the committed meshes/; spl builds the SPL Knee Atlas into the cache.")
    build.add_argument("--data-dir", type=Path, default=None,
                       help="folder with mskt-knee/, myo-sim-leg/ and spl-knee-atlas/ "
                            "(default: $KNEE_EXPLORER_DATA, else $KNEE_EXPLORER_SHARED/data, else ../shared/data "
                            "next to the checkout)")
    build.add_argument("--fetch", action="store_true",
                       help="download the missing source files into --data-dir first (spl: from the atlas's public "
                            "home at a pinned revision, or $KNEE_EXPLORER_SPL_URL)")
    build.add_argument("--out", type=Path, default=None,
                       help="output folder (default: meshes/ for mskt, the cache for spl)")
    build.add_argument("--if-needed", action="store_true",
                       help="spl: build only when the cached set is missing or stale, and skip (saying why) when "
                            "its source data is not there")
    build.set_defaults(run=_build)

    render = commands.add_parser("render", parents=[choose], help="render the scene to a PNG file",
                                 description="Render the default scene off-screen to a PNG file.")
    render.add_argument("output", type=Path, help="PNG file to write")
    render.add_argument("--view", default="anterior", help="anterior, posterior, medial, lateral or superior")
    render.add_argument("--size", default="1600x1200", help="WIDTHxHEIGHT in pixels")
    render.set_defaults(run=_render)

    export = commands.add_parser(
        "export", parents=[choose], help="export a view: PNG, GLB, offline HTML, GIF or MP4 orbit, or a saved view (.json)",
        description="Export a view to the format the output's suffix names: .png (labelled picture), .glb (3D model "
                    "for slides), .html (offline interactive page), .gif or .mp4 (orbit animation), .json (saved "
                    "view). The view comes from --view FILE, changed by the options after it.")
    export.add_argument("output", type=Path, help="file to write; its suffix picks the format")
    export.add_argument("--view", dest="view_file", type=Path, default=None, help="saved view file (.json) to start from")
    export.add_argument("--camera", default=None, help="anterior, posterior, medial, lateral or superior")
    export.add_argument("--show", default=None, help="comma-separated structure or group ids to show")
    export.add_argument("--select", default=None, help="structure id to select and highlight")
    export.add_argument("--cause", default=None,
                        help="pain cause whose structures to highlight: its id or an alias, in any case "
                             "(knee-explorer list --causes lists them)")
    labels = export.add_mutually_exclusive_group()
    labels.add_argument("--labels", dest="labels", action="store_true", default=None, help="label the structures")
    labels.add_argument("--no-labels", dest="labels", action="store_false", help="no labels")
    export.add_argument("--title", default=None, help="title on the picture or page")
    export.add_argument("--size", default=None,
                        help="WIDTHxHEIGHT of the render in pixels (default 1920x1080 for .png, 640x480 for .gif "
                             "and .mp4); the footer strip is added below it")
    export.add_argument("--transparent", action="store_true", help=".png: transparent background")
    export.add_argument("--frames", type=int, default=None, help=".gif/.mp4: frames in one turn")
    export.add_argument("--force", action="store_true", help="replace the output if it exists")
    export.set_defaults(run=_export)

    tour = commands.add_parser(
        "export-tour", parents=[choose], help="export a pain cause's guided tour: an offline page and PNG slides",
        description="Write a guided tour into a folder: <tour>.html, one offline page with every step (Previous and "
                    "Next inside it), and the numbered slides 01-<step>.png, 02-<step>.png... with each step's text.")
    tour.add_argument("tour", help="the tour: its pain cause's id or an alias, in any case (e.g. bakers_cyst, dvt)")
    tour.add_argument("folder", type=Path, help="folder to write into (made if missing)")
    tour.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT of each slide's picture (default 1920x1080)")
    tour.add_argument("--no-page", dest="page", action="store_false", help="slides only")
    tour.add_argument("--no-slides", dest="slides", action="store_false", help="the page only")
    tour.add_argument("--force", action="store_true", help="replace files that exist")
    tour.set_defaults(run=_export_tour)

    serve = commands.add_parser(
        "serve", parents=[choose], help="start the explorer in the browser and print its URL",
        description="Serve the explorer and print its URL. It listens on this machine only, unless --address "
                    "names another address; then --allow-origin must name the host(s) students open it at.")
    serve.add_argument("--port", type=int, default=5006, help="port to listen on (default 5006; 0 picks a free one)")
    serve.add_argument("--address", default="localhost",
                       help="address to listen on (default localhost; 0.0.0.0 for every network interface)")
    serve.add_argument("--allow-origin", dest="allow_origins", nargs="+", default=[], metavar="ORIGIN",
                       help="host, host:port or https://host that students open the explorer at; requests "
                            "naming any other host or page origin are refused")
    serve.add_argument("--processes", type=int, default=1,
                       help="server processes sharing the port (default 1); behind a proxy, use sticky sessions")
    serve.add_argument("--show", action="store_true", help="also open a browser tab")
    serve.set_defaults(run=_serve)
    return parser


def _validate(args) -> int:
    atlas = load_atlas(args.root, geometry=args.geometry)
    print(f"ok: {len(atlas.structures)} structures, {len(atlas.causes)} pain causes, "
          f"{sum(s.mesh is not None for s in atlas.structures.values())} meshes, {atlas.triangle_count} triangles "
          f"(geometry {atlas.geometry.name}: {atlas.geometry.title})")
    return 0


def _list(args) -> int:
    atlas = load_atlas(args.root, meshes=False, geometry=args.geometry)
    if args.causes:
        return _list_causes(atlas, args.json)
    rows = [
        {
            "id": s.id, "name": s.name, "group": s.group, "mesh": s.mesh_file,
            "license": s.provenance.license if s.provenance else None,
            "schematic": s.schematic, "pain_causes": list(s.causes), "geometry": atlas.geometry.name,
        }
        for s in atlas.structures.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for group in atlas.groups.values():
        members = [r for r in rows if r["group"] == group.id]
        if members:
            print(f"{group.name}:")
        for row in members:
            causes = ", ".join(atlas.causes[c].name for c in row["pain_causes"]) or "-"
            print(f"  {row['id']:26s} {row['name']:28s} causes: {causes}")
    return 0


def _list_causes(atlas, as_json: bool) -> int:
    """Print each pain cause's id, title and aliases, as text or JSON; returns the exit code."""
    rows = [{"id": c.id, "name": c.name, "aliases": list(c.aliases)} for c in atlas.causes.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(row["id"]) for row in rows), default=0)
    for row in rows:
        aliases = ", ".join(row["aliases"]) or "-"
        print(f"{row['id']:{width}s}  {row['name']}  (aliases: {aliases})")
    return 0


def _credits(args) -> int:
    atlas = load_atlas(args.root, meshes=False, geometry=args.geometry)
    print(f"Geometry: {atlas.geometry.title} ({atlas.geometry.name})")
    print("Attribution (exports must carry these lines):")
    for line in atlas.credits():
        print(f"  {line}")
    for line in atlas.notices():
        print(f"Licence notice (kept with every copy of these meshes):\n  {line}")
    print("\nPer mesh:")
    for s in atlas.structures.values():
        if s.provenance:
            kind = "schematic" if s.schematic else "measured"
            print(f"  {s.mesh_file:30s} {s.provenance.license:20s} {kind:10s} provenance: {s.provenance.provenance}")
    return 0


def _build(args) -> int:
    from explorer.build.sources import SourceError, default_data_dir

    root = args.root or default_root()
    data_dir = args.data_dir or default_data_dir(root)
    try:
        if (args.geometry or "mskt") == "mskt":
            return _build_mskt(args, root, data_dir)
        if args.geometry == "spl":
            return _build_spl(args, data_dir)
        raise ValueError(f"unknown geometry {args.geometry!r} (known: mskt, spl)")
    except SourceError as error:
        print(f"knee-explorer build-meshes: {error}", file=sys.stderr)
        return 1


def _progress(line: str) -> None:
    print(line, flush=True)  # one line per structure, seen as it is built even through a pipe


def _build_mskt(args, root: Path, data_dir: Path) -> int:
    from explorer.build.meshes import build_meshes
    from explorer.build.sources import fetch

    out = args.out or root / "meshes"
    if args.fetch:
        fetch(data_dir)
    reports = build_meshes(data_dir, out, log=_progress)
    schematic = len(list(out.glob("*.ply"))) - len(reports)
    print(f"{len(reports)} MRI-derived meshes ({sum(r.triangles for r in reports)} triangles) and "
          f"{schematic} schematic meshes written to {out}")
    return 0


def _build_spl(args, data_dir: Path) -> int:
    from explorer.build import sources, spl_sources
    from explorer.build.spl import build_spl
    from explorer.geometry import geometry_set

    cached = geometry_set("spl")
    out = args.out or cached.folder
    spl_dir = data_dir / "spl-knee-atlas"
    if args.if_needed and not args.out:
        if cached.present():
            print(f"spl geometry is current in {out}")
            return 0
        if not args.fetch and not spl_dir.is_dir():
            print(f"spl geometry not built: no SPL Knee Atlas under {spl_dir} "
                  "(knee-explorer build-meshes --geometry spl --fetch downloads it); the committed mskt knee is used")
            return 0
        print(f"building the spl geometry into {out} ({'stale' if (out / 'manifest.json').exists() else 'missing'})")
    if args.fetch:
        spl_sources.fetch(spl_dir)
        try:
            sources.verify(data_dir)
        except sources.SourceError:
            sources.fetch(data_dir)
    reports = build_spl(spl_dir, data_dir, out, log=_progress)
    segmented = sum(r.made.triangles for r in reports)
    schematic = len(list(out.glob("*.ply"))) - len(reports)
    print(f"{len(reports)} segmented meshes ({segmented} triangles) and {schematic} schematic meshes written to {out}")
    return 0


def _render(args) -> int:
    from explorer.scene import KneeScene

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {args.size!r} is not WIDTHxHEIGHT") from None
    scene = KneeScene(load_atlas(args.root, geometry=args.geometry), off_screen=True, window_size=(width, height))
    scene.view(args.view).screenshot(args.output)
    print(f"wrote {args.output}")
    return 0


def _export(args) -> int:
    from explorer.export import FORMATS, export
    from explorer.export.saved_view import SavedView, load_view

    suffix = args.output.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unsupported format {suffix or args.output.name!r} (use one of {', '.join(FORMATS)})")
    if args.output.exists() and not args.force:
        raise FileExistsError(f"{args.output} exists (use --force to replace it)")
    atlas = load_atlas(args.root, geometry=args.geometry)
    view = load_view(args.view_file, atlas) if args.view_file else SavedView()
    data = view.to_dict()
    if args.show is not None:
        ids = [v.strip() for v in args.show.split(",") if v.strip()]
        for item in ids:
            if item not in atlas.groups and item not in atlas.structures:
                raise ValueError(f"unknown structure or group id {item!r}")
        data["show"] = list(dict.fromkeys(s.id for item in ids for s in (
            atlas.in_group(item) if item in atlas.groups else [atlas[item]]) if s.mesh_file))
    for option, key in ((args.select, "selected"), (args.cause, "cause"), (args.camera, "camera"),
                        (args.labels, "labels"), (args.title, "title")):
        if option is not None:
            data[key] = option
    view = SavedView.from_dict(data, atlas)
    options: dict = {"force": args.force}
    if suffix in (".png", ".gif", ".mp4") and args.size:
        try:
            options["size"] = tuple(int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--size {args.size!r} is not WIDTHxHEIGHT") from None
        if len(options["size"]) != 2:
            raise ValueError(f"--size {args.size!r} is not WIDTHxHEIGHT")
    if suffix == ".png":
        options["transparent"] = args.transparent
    if suffix in (".gif", ".mp4") and args.frames is not None:
        options["frames"] = args.frames
    if suffix != ".json":
        options["atlas"] = atlas
    path = export(view, args.output, **options)
    print(f"wrote {path}")
    return 0


def _export_tour(args) -> int:
    from explorer.export.tour import export_tour

    try:
        size = tuple(int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {args.size!r} is not WIDTHxHEIGHT") from None
    if len(size) != 2:
        raise ValueError(f"--size {args.size!r} is not WIDTHxHEIGHT")
    atlas = load_atlas(args.root, geometry=args.geometry)
    done = export_tour(args.tour, args.folder, atlas=atlas, page=args.page, slides=args.slides, size=size,
                       force=args.force)
    for path in ([done.page] if done.page else []) + done.slides:
        print(f"wrote {path}")
    return 0


def _serve(args) -> int:
    from explorer.app.server import ServeOptions, serve

    options = ServeOptions(port=args.port, address=args.address, allow_origins=tuple(args.allow_origins),
                           processes=args.processes)
    options.check()
    serve(load_atlas(args.root, geometry=args.geometry), options, show=args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
