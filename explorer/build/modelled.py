"""Schematic soft tissues built from bony landmarks and leg-model muscle sites.

No open data set gives the knee's ligaments, nerves, vessels, muscles or bursae as meshes,
so each is constructed here: a smooth centre line through points placed relative to
measured landmarks (see :mod:`explorer.build.landmarks`), pushed clear of the bones, and
swept with a cross-section of realistic size. Every structure records the landmarks it
uses, how it was built, the assumptions made and where its sizes come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from explorer.build import courses
from explorer.build.capsule import posterior_capsule
from explorer.build.clearance import keep_clear, keep_surface_clear, lay_on
from explorer.build.cleft import cleft_sac
from explorer.build.contacts import BLENDS, GASTROCNEMIUS_JOIN_Z, MERGE_BELOW
from explorer.build.continuation import FADE_MM, INSET_MM, TUCK_MM, Join, continue_structure, cut_ends, push_out
from explorer.build.landmarks import Landmark, back_of
from explorer.build.leg_axes import nearest_outline_points, section_centre
from explorer.build.sweep import smooth_path, sweep

#: Published sizes the models are built to and checked against (diameters and lengths in mm).
SIZE_SOURCES = {
    "acl_length": ((25.0, 37.0), "ACL length 31 +/- 3 mm in 33 adult knees (Odensten & Gillquist, J Bone Joint Surg Am 1985); range is mean +/- 2 SD"),
    "pcl_length": ((32.0, 38.0), "PCL 32-38 mm long, cross-section about 11 mm2 (as summarised in Springer 2015, doi:10.1007/978-3-319-14815-1_43)"),
    "tibial_nerve": ((4.7, 6.6), "tibial nerve at the popliteal fossa: pooled cross-section 25.9 mm2 (95% CI 17.5-34.4), lower-extremity nerve ultrasound meta-analysis (Fisse et al., Eur J Neurol 2021, part II); range is the CI as equivalent diameters"),
    "common_fibular_nerve": ((2.9, 3.6), "fibular nerve at the fibular head: pooled cross-section 8.4 mm2 (95% CI 6.8-9.9), same meta-analysis; range is the CI as equivalent diameters"),
    "sural_nerve": ((1.4, 2.0), "sural nerve between the gastrocnemius heads: pooled cross-section 2.4 mm2 (95% CI 1.7-3.1), same meta-analysis; range is the CI as equivalent diameters"),
    "popliteal_artery": ((5.2, 9.6), "popliteal artery diameter 7.4 +/- 1.1 mm in 898 arteries (Eur J Vasc Endovasc Surg 2005;30:71-4); range is mean +/- 2 SD"),
    "acl_sagittal_angle": ((36.0, 54.0), "ACL at 45 +/- 4.4 deg to the tibial plateau in the sagittal plane on 50 knee MRIs (J Orthop 2020;22:422-6); range is mean +/- 2 SD"),
    "biceps_femoris_area": ((9.2, 18.0), "biceps femoris long head's largest cross-section 13.6 +/- 2.2 cm2 on MRI in 30 young adults (Evangelidis et al., Med Sci Sports Exerc 2015); range is mean - 2 SD up to the long and short heads together"),
    "soleus_volume": ((234.0, 482.0), "soleus 357.7 +/- 61.8 cm3 measured on MRI in 21 adults (Front Physiol 2019;10:1299); range is mean +/- 2 SD of the whole muscle"),
    "gastrocnemius_medial_head_volume": ((114.0, 245.0), "medial gastrocnemius 179.5 +/- 32.8 cm3, same study; range is mean +/- 2 SD"),
    "gastrocnemius_lateral_head_volume": ((58.0, 122.0), "lateral gastrocnemius 90.2 +/- 15.9 cm3, same study; range is mean +/- 2 SD"),
}


def equivalent_diameter(area_mm2: float) -> float:
    """Diameter of the circle with this cross-sectional area."""
    return float(2.0 * np.sqrt(area_mm2 / np.pi))


#: The muscles the popliteal vessels and the tibial nerve run on and between in the lower popliteal fossa.
FOSSA_FLOOR_AND_SIDES = ("popliteus", "plantaris", "gastrocnemius_medial_head", "gastrocnemius_lateral_head")

#: The muscles of the front and side of the leg, where they are built (segmented in the spl set).
FRONT_OF_LEG = ("tibialis_anterior", "extensor_digitorum_longus", "fibularis_longus")

#: Nerves and vessels narrow along their course: calibre factor at the start and the end.
TAPER = (1.1, 0.9)

DIAMETERS = {
    "tibial_nerve": equivalent_diameter(25.9),
    "common_fibular_nerve": equivalent_diameter(8.4),
    "sural_nerve": equivalent_diameter(2.4),
    "medial_sural_cutaneous_nerve": equivalent_diameter(2.4),
    "lateral_sural_cutaneous_nerve": equivalent_diameter(2.4),
    "superficial_fibular_nerve": equivalent_diameter(8.4 / 2),
    "deep_fibular_nerve": equivalent_diameter(8.4 / 2),
    "popliteal_artery": 7.0,
    "popliteal_vein": 9.0,
    "small_saphenous_vein": 3.0,
    "anterior_tibial_artery": 3.5,
    "posterior_tibial_artery": 3.5,
    "posterior_tibial_veins": 3.5,
    "fibular_veins": 3.0,
    "gastrocnemius_veins": 3.5,
    "soleal_veins": 5.0,
}
#: Calibres of the calf vessels, assumed: no measured reference used.
CALF_VESSEL_SIZES = ("calibre assumed within the range usually seen on ultrasound of adult calf vessels (3-5 mm, the "
                     "soleal sinuses wider); no single published figure")


@dataclass
class Modelled:
    """One schematic structure: its mesh and the record of how it was made."""

    id: str
    kind: str
    mesh: trimesh.Trimesh
    centreline: np.ndarray
    landmarks: tuple[str, ...]
    construction: str
    assumptions: str
    sizes: str = "sizes chosen to look typical of an adult knee; no single published figure"
    attachments: dict[str, tuple[str, list[float]]] = field(default_factory=dict)
    diameter: float | None = None
    #: For a segmented structure continued beyond its slab: the joins (see explorer.build.continuation).
    joins: tuple[Join, ...] = ()
    #: How far (0 to 1) a later step may move each vertex; None: all the way.
    weights: np.ndarray | None = None

    def move_weights(self) -> np.ndarray:
        """How far (0 to 1) a later step may move each vertex of the mesh."""
        return np.ones(len(self.mesh.vertices)) if self.weights is None else self.weights


class SoftTissueBuilder:
    """Builds every schematic structure from landmarks, leg-model sites and the bone meshes.

    ``given`` structures (real, segmented ones) are not modelled: each step that would build one
    uses the given one instead, so that the structures modelled after it follow the real anatomy.
    A given structure that the ``slab`` (bottom and top height of the segmented volume, mm) cuts is
    modelled all the same, and the model's course beyond the slab is joined onto it.
    """

    def __init__(self, landmarks: dict[str, Landmark], sites: dict[str, np.ndarray],
                 bones: dict[str, trimesh.Trimesh], joint_solids: list[trimesh.Trimesh],
                 given: dict[str, Modelled] | None = None, slab: tuple[float, float] | None = None):
        self.L = {name: mark.point for name, mark in landmarks.items()}
        self.sites = sites
        self.bones = bones
        self.bone_list = [bones[name] for name in ("femur", "tibia", "fibula", "patella")]
        self.joint_solids = joint_solids
        self.given = dict(given or {})
        self.slab = slab
        self.built: dict[str, Modelled] = dict(self.given)

    # helpers ------------------------------------------------------------------------------
    def _snap(self, bone: str, point) -> np.ndarray:
        closest, _, _ = trimesh.proximity.closest_point(self.bones[bone], [point])
        return closest[0]

    def _exit_backwards(self, bone: str, point) -> np.ndarray:
        """Where a ray from ``point`` toward -y leaves ``bone`` (its posterior surface)."""
        hits, _, _ = self.bones[bone].ray.intersects_location([point], [[0.0, -1.0, 0.0]], multiple_hits=True)
        return hits[np.argmin(hits[:, 1])]

    def _back(self, z: float, x_range=(-25.0, 25.0)) -> float:
        """Most posterior y of femur and tibia at height z."""
        values = []
        for bone in ("femur", "tibia"):
            try:
                values.append(back_of(self.bones[bone], z, x_range))
            except ValueError:
                continue
        return min(values)

    def _tibia_back(self, z: float) -> float:
        """Most posterior y of the tibia at height z."""
        return back_of(self.bones["tibia"], z, (-40.0, 40.0))

    def _add(self, item: Modelled) -> Modelled:
        if item.id in self.given:
            item = _joined(self.given[item.id], item, self.slab, self.bone_list)
        self.built[item.id] = item
        return item

    def _use_given(self, structure_id: str) -> bool:
        """True when the given structure is used as it is: it lies wholly inside the slab."""
        given = self.given.get(structure_id)
        return given is not None and not (self.slab and cut_ends(given.mesh, self.slab))

    def _tube(self, structure_id: str, kind: str, controls, diameter, landmarks, construction, assumptions,
              sizes=None, samples=60, solids=None, margin=1.5, fixed=(), width=None) -> Modelled:
        if self._use_given(structure_id):
            return self.given[structure_id]
        path = smooth_path(np.asarray(controls, dtype=float), samples)
        taper = np.linspace(TAPER[0], TAPER[1], samples)
        diameters = taper * float(diameter)
        widths = diameters if width is None else taper * float(width)
        solids = self.bone_list if solids is None else solids
        path = keep_clear(path, np.maximum(diameters, widths) / 2, solids, margin=margin, fixed=fixed)
        mesh = sweep(path, widths, diameters, normal_hint=(1.0, 0.0, 0.0), sides=14)
        record = Modelled(structure_id, kind, mesh, path, tuple(landmarks), construction,
                          f"{assumptions}; calibre tapers linearly from {TAPER[0]:.2f} to {TAPER[1]:.2f} times the "
                          "nominal value along the course (nominal at the middle)",
                          diameter=float(np.sqrt(diameter * (width or diameter))))
        if sizes:
            record.sizes = sizes
        return self._add(record)

    # ligaments ----------------------------------------------------------------------------
    def ligaments(self) -> None:
        L = self.L
        band = "flat band swept between its attachments"
        self._ligament("anterior_cruciate_ligament", "tibia", L["acl_tibial"], "femur", L["acl_femoral"],
                       width=(10.0, 9.0), thickness=5.5, twist=90.0, hint=(1, 0, 0),
                       landmarks=("acl_tibial", "acl_femoral"),
                       construction=f"{band}, from the anterior intercondylar area of the tibia to the medial wall "
                                    "of the lateral femoral condyle, twisting a quarter turn",
                       sizes=SIZE_SOURCES["acl_length"][1], cruciate=True)
        self._ligament("posterior_cruciate_ligament", "tibia", L["pcl_tibial"], "femur", L["pcl_femoral"],
                       width=(11.0, 13.0), thickness=6.0, twist=45.0, hint=(1, 0, 0),
                       landmarks=("pcl_tibial", "pcl_femoral"),
                       construction=f"{band}, from the posterior intercondylar area of the tibia, about 10 mm below "
                                    "the joint line, to the lateral wall of the medial femoral condyle; passes behind "
                                    "and crosses the ACL",
                       sizes=SIZE_SOURCES["pcl_length"][1], cruciate=True)
        medial_joint = np.array([-self._widest_x(-1) - 2.0, L["medial_epicondyle"][1] - 4, 0.0])
        self._ligament("medial_collateral_ligament", "femur", L["medial_epicondyle"] + [0, -3, 2], "tibia",
                       L["mcl_tibial"], via=[medial_joint], width=12.0, thickness=2.5, hint=(0, 1, 0),
                       lie_on=self.bone_list[:2] + self.joint_solids,
                       landmarks=("medial_epicondyle", "mcl_tibial"),
                       construction=f"{band}, from just behind and above the medial epicondyle over the medial joint "
                                    "line to the medial tibia about 5.5 cm below it, lying on the bone surface")
        lateral_joint = np.array([self._widest_x(1) + 2.5, L["lateral_epicondyle"][1] - 8, -2.0])
        self._ligament("lateral_collateral_ligament", "femur", L["lateral_epicondyle"], "fibula",
                       L["fibular_head_lateral"], via=[lateral_joint], width=5.0, thickness=4.0, hint=(0, 1, 0),
                       landmarks=("lateral_epicondyle", "fibular_head_lateral"),
                       construction="round cord from the lateral epicondyle of the femur, clear of the joint, to the "
                                    "lateral side of the fibular head")
        self._ligament("patellar_ligament", "patella", L["patella_apex"] + [0, -1, 1.5], "tibia",
                       L["tibial_tuberosity"] + [-1.5, -2, -1], width=(27.0, 22.0), thickness=5.0, hint=(1, 0, 0),
                       embed=(6.0, 10.0), landmarks=("patella_apex", "tibial_tuberosity"),
                       construction=f"{band}, straight from the back of the apex of the patella to the lower part of "
                                    "the tibial tuberosity, wide side facing forward, in front of the space the "
                                    "infrapatellar fat pad (not modelled) fills; its ends run into the lower pole of the "
                                    "patella and into the tuberosity",
                       sizes="27 mm wide at the patella narrowing to 22 mm at the tibial tuberosity and 5 mm thick, "
                             "within typical adult sizes (about 25-30, 20-25 and 4-7 mm); its length follows from the "
                             "landmarks; no single published figure")
        thigh = L["femur_shaft_lateral_200"] + [14.0, 0.0, 30.0]
        knee = L["lateral_epicondyle"] + [7.0, 4.0, 0.0]
        self._ligament("iliotibial_band", None, thigh, "tibia", L["gerdy_tubercle"],
                       via=[L["femur_shaft_lateral_200"] + [13.0, 0.0, -60.0], knee],
                       width=(34.0, 16.0), thickness=2.0, hint=(0, 1, 0),
                       landmarks=("femur_shaft_lateral_200", "lateral_epicondyle", "gerdy_tubercle"),
                       construction=f"{band}, down the lateral thigh about 13 mm outside the femur (over the vastus "
                                    "lateralis, not modelled), past the lateral epicondyle to Gerdy's tubercle; cut at "
                                    "the top of the scene")

    def capsule_ligaments(self) -> None:
        """The posterior oblique and oblique popliteal ligaments, laid on the capsule they strengthen (built
        once the capsule is)."""
        L = self.L
        band = "flat band sunk half into the posterior capsule, which it thickens"
        surfaces = [self.built["posterior_joint_capsule"].mesh]
        start = L["medial_epicondyle"] + [3.0, -9.0, 6.0]
        corner = np.array([L["posteromedial_tibia"][0] - 2.0, L["posteromedial_tibia"][1] + 1.0, 0.0])
        self._ligament("posterior_oblique_ligament", "femur", self._snap("femur", start), "tibia",
                       L["posteromedial_tibia"], via=[corner], width=10.0, thickness=2.0, hint=(0, 1, 0),
                       landmarks=("medial_epicondyle", "posteromedial_tibia"), lie_on=surfaces, sunk=True,
                       construction=f"{band}, from behind and above the medial epicondyle (adductor tubercle region) "
                                    "obliquely over the posteromedial joint corner to the posteromedial tibia")
        medial_end = self._semimembranosus_insertion()
        lateral_end = L["lateral_condyle_back"] + [0.0, 0.0, 8.0]
        middle = np.array([0.0, self._back(8.0) - 3.0, 6.0])
        self._ligament("oblique_popliteal_ligament", "tibia", self._snap("tibia", medial_end), "femur",
                       self._snap("femur", lateral_end), via=[middle], width=9.0, thickness=2.0, hint=(0, 0, 1),
                       lie_on=surfaces, sunk=True,
                       landmarks=("lateral_condyle_back", "semimem-P2_r"),
                       construction=f"{band}, from the semimembranosus insertion on the posteromedial tibia "
                                    "upward and laterally across the back of the joint capsule to the back of the "
                                    "lateral femoral condyle")

    def _semimembranosus_insertion(self) -> np.ndarray:
        """Where the semimembranosus inserts: the lowest 3 mm of the segmented muscle where it is given,
        else the leg model's insertion site."""
        given = self.given.get("semimembranosus")
        if given is None:
            return self.sites["semimem-P2_r"]
        vertices = given.mesh.vertices
        return vertices[vertices[:, 2] < vertices[:, 2].min() + 3.0].mean(axis=0)

    def _widest_x(self, sign: int) -> float:
        """Largest |x| of femur, tibia and menisci within 4 mm of the joint line on one side."""
        reach = 0.0
        for solid in self.bone_list[:2] + self.joint_solids:
            near = solid.vertices[np.abs(solid.vertices[:, 2]) < 4.0]
            if len(near):
                reach = max(reach, float((sign * near[:, 0]).max()))
        return reach

    def _ligament(self, structure_id, start_bone, start, end_bone, end, width, thickness, landmarks, construction,
                  via=(), twist=0.0, hint=(1, 0, 0), sizes=None, cruciate=False, embed=(0.0, 0.0),
                  lie_on: list[trimesh.Trimesh] | None = None, sunk: bool = False) -> Modelled:
        """A band from ``start`` to ``end`` (attachment centres), ``width`` constant or (start, end), mm.

        ``lie_on``: surfaces the band is laid on, 0.5 mm clear of them, or (``sunk``) half into them, as a
        thickening of the capsule is.

        ``embed`` (mm at the start and at the end): the band's course within this distance of an
        attachment lies on its bone and is left where it is by the clearance step, and the band runs
        on as far again into the bone, straight and closing to a rounded end (:func:`_run_on`), so
        that it grows out of the bone instead of ending in a cut face beside it.
        """
        if self._use_given(structure_id):
            return self.given[structure_id]
        controls = np.vstack([start, *via, end])
        samples = 40
        path = smooth_path(controls, samples)
        widths = np.linspace(*width, samples) if isinstance(width, tuple) else np.full(samples, width)
        width_axes = None
        if lie_on:
            path = keep_clear(path, thickness / 2, self.bone_list + self.joint_solids, margin=3.0, fixed=(0, samples - 1))
            path, surface_normals = lay_on(path, lie_on, 0.0 if sunk else thickness / 2 + 0.5, fixed=(0, samples - 1))
            # Neighbouring triangles' normals differ: a running mean over 7 points keeps the band from fluttering.
            padded = np.pad(surface_normals, ((3, 3), (0, 0)), mode="edge")
            smoothed = np.stack([np.convolve(padded[:, axis], np.full(7, 1.0 / 7.0), mode="valid") for axis in range(3)], axis=1)
            width_axes = np.cross(np.gradient(path, axis=0), smoothed)
        elif not cruciate:
            solids = self.bone_list + self.joint_solids
            arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
            held = np.flatnonzero((arc <= embed[0]) | (arc >= arc[-1] - embed[1]))
            path = keep_clear(path, thickness / 2, solids, margin=0.3, fixed=tuple(sorted({0, samples - 1, *held})))
        swept, swept_widths = _run_on(path, widths, embed)
        mesh = sweep(swept, swept_widths, thickness, normal_hint=hint, twist_degrees=twist, sides=16,
                     width_axes=width_axes if not any(embed) else None)
        attachments = {}
        if start_bone:
            attachments["start"] = (start_bone, [round(float(v), 3) for v in path[0]])
        attachments["end"] = (end_bone, [round(float(v), 3) for v in path[-1]])
        assumptions = "attachment centres on the measured landmarks; cross-section constant or tapering linearly"
        if lie_on:
            assumptions += ("; between its attachments its centre line lies half its thickness (and 0.5 mm) off the "
                            "surface it lies on, its flat side facing that surface")
        if any(embed):
            assumptions += (f"; the band lies on its bone for {embed[0]:g} mm at the start and {embed[1]:g} mm at the "
                            "end and runs on as far into the bone, closing to a rounded end there instead of a cut face")
        record = Modelled(structure_id, "ligament", mesh, path, tuple(landmarks), construction, assumptions,
                          attachments=attachments)
        if sizes:
            record.sizes = sizes
        return self._add(record)

    # muscles ------------------------------------------------------------------------------
    def muscles(self) -> None:
        L, S = self.L, self.sites
        top = 245.0

        def toward(origin_site: str, near: np.ndarray, z: float) -> np.ndarray:
            """Point at height z on the line from ``near`` to a pelvic origin site."""
            far = S[origin_site]
            t = (z - near[2]) / (far[2] - near[2])
            return near + t * (far - near)

        sm_insertion = self._snap("tibia", S["semimem-P2_r"])
        sm_via = S["SM_at_condyles_site_semimem_r"]
        self._muscle("semimembranosus", [toward("semimem-P1_r", sm_via + [0, -8, 60], top), sm_via + [0, -8, 60],
                                         sm_via + [0, -3, 10], sm_insertion],
                     widths=[(0.0, 44.0), (0.55, 40.0), (0.75, 26.0), (0.88, 12.0), (1.0, 8.0)],
                     thickness=[(0.0, 34.0), (0.55, 30.0), (0.75, 18.0), (0.88, 7.0), (1.0, 5.0)],
                     landmarks=("semimem-P1_r", "SM_at_condyles_site_semimem_r", "semimem-P2_r"),
                     construction="belly in the posteromedial thigh aimed at the ischial tuberosity site, fleshy down to "
                                  "the upper edge of the popliteal fossa, narrowing to a thick tendon behind the medial "
                                  "condyle to its insertion on the posteromedial tibia",
                     sizes="belly up to 44 x 34 mm across (12 cm2), as large as the biceps (below); no published figure "
                           "for this muscle used")
        st_via = S["ST_at_condyles_site_semiten_r"]
        st_insertion = self._snap("tibia", S["semiten-P3_r"])
        self._muscle("semitendinosus", [toward("semiten-P1_r", st_via + [2, -26, 110], top), st_via + [2, -26, 110],
                                        st_via + [0, -6, 30], st_via, self._snap("tibia", S["semiten-P2_r"]) + [-4, -2, 0],
                                        st_insertion],
                     widths=[(0.0, 24.0), (0.35, 18.0), (0.5, 5.0), (1.0, 4.5)],
                     thickness=[(0.0, 18.0), (0.35, 14.0), (0.5, 5.0), (1.0, 3.5)],
                     landmarks=("semiten-P1_r", "ST_at_condyles_site_semiten_r", "semiten-P2_r", "semiten-P3_r"),
                     construction="belly superficial to the semimembranosus, a long round tendon from mid-thigh curving "
                                  "behind the medial condyle forward to the pes anserinus on the anteromedial tibia")
        bf_insertion = self._snap("fibula", L["fibular_head_apex"] + [3.0, 0.0, -3.0])
        bf_knee = L["lateral_condyle_back"] + [14.0, -10.0, 20.0]
        self._muscle("biceps_femoris", [toward("bflh-P1_r", bf_knee + [0, -14, 80], top), bf_knee + [0, -14, 80],
                                        bf_knee, bf_insertion],
                     widths=[(0.0, 48.0), (0.5, 42.0), (0.72, 24.0), (0.85, 11.0), (1.0, 9.0)],
                     thickness=[(0.0, 36.0), (0.5, 30.0), (0.72, 15.0), (0.85, 7.0), (1.0, 5.0)],
                     landmarks=("bflh-P1_r", "lateral_condyle_back", "fibular_head_apex"),
                     construction="long and short heads as one structure: belly in the posterolateral thigh aimed at the "
                                  "ischial tuberosity site, the short head keeping it fleshy down to the upper edge of "
                                  "the popliteal fossa, a tendon along the lateral side of the fossa to the fibular head",
                     sizes="belly 48 x 36 mm across at the top of the scene: " + SIZE_SOURCES["biceps_femoris_area"][1])
        # The popliteus lies on the bone, deepest of the calf muscles: built first, the others keep clear of it.
        # Its tendon starts in front of and below the LCL's femoral attachment (at the epicondyle) and runs back
        # deep to the LCL (LaPrade et al., Am J Sports Med 2003: 18.5 mm apart).
        origin = self._snap("femur", L["lateral_epicondyle"] + [-4.0, 5.0, -14.0])
        controls = [origin, L["lateral_condyle_back"] + [10.0, -6.0, -26.0],
                    [L["notch_centre"][0] + 6.0, self._back(-22.0) - 5.0, -24.0],
                    L["popliteus_insertion"] + [0.0, -5.0, -7.0]]
        self._muscle("popliteus", controls, widths=[(0.0, 5.0), (0.35, 10.0), (0.6, 30.0), (1.0, 26.0)],
                     thickness=[(0.0, 4.0), (0.35, 5.0), (0.6, 9.0), (1.0, 6.0)], hint=(0, 0, 1),
                     landmarks=("lateral_epicondyle", "lateral_condyle_back", "popliteus_insertion"),
                     construction="tendon from the lateral femoral condyle below and in front of the epicondyle (the "
                                  "LCL's attachment), running back deep to the LCL, passing behind the "
                                  "lateral meniscus, fanning into a flat triangular belly on the back of the tibia above "
                                  "the soleal line, its lower border about 5 cm below the joint line")
        tb = self._tibia_back
        soleus_top = -30.0 if "soleus" in self.given else -38.0  # meets a segmented soleus inside its slab
        # The soleus lies behind the fibula as well as the tibia: its width axis turns 20 deg, lateral side back.
        self._muscle("soleus", [[6.0, tb(soleus_top) - 20.0, soleus_top], [5.0, tb(-60.0) - 27.0, -60.0],
                                [4.0, tb(-90.0) - 29.0, -90.0],
                                [1.0, tb(-160.0) - 30.0, -160.0], [-3.0, tb(-245.0) - 27.0, -245.0]],
                     widths=[(0.0, 34.0), (0.3, 64.0), (0.7, 64.0), (1.0, 42.0)],
                     thickness=[(0.0, 8.0), (0.3, 26.0), (0.7, 28.0), (1.0, 24.0)], hint=(0.94, -0.34, 0.0),
                     landmarks=("tibia posterior surface",),
                     construction="broad flat belly from the back of the fibular head and the soleal line of the tibia, "
                                  "lying on the back of the leg bones deep to the gastrocnemius, narrowing toward the "
                                  "Achilles tendon; cut at the bottom of the scene; its width axis turned 20 deg (lateral "
                                  "side back) so that it lies behind the fibula too, its front 12-15 mm behind the "
                                  "tibia, where the deep muscles (not modelled), the tibial nerve and the posterior "
                                  "tibial vessels lie",
                     sizes="belly up to 64 x 28 mm across, for a volume within the scene near the published whole "
                           "muscle's lower bound (a third of the muscle lies below the scene): " + SIZE_SOURCES["soleus_volume"][1])
        plantaris_origin = self._snap("femur", L["lateral_condyle_back"] + [-4.0, 0.0, 24.0])
        # Its belly lies on the back of the popliteus, deep to the lateral gastrocnemius head; its tendon on the
        # back of the soleus, between it and the gastrocnemius.
        popliteus, soleus = self.built["popliteus"].mesh, self.built["soleus"].mesh
        self._muscle("plantaris", [plantaris_origin, [16.0, back_of(popliteus, -10.0, (10.0, 22.0), 6.0) - 5.5, -10.0],
                                   [8.0, back_of(soleus, -40.0, (2.0, 14.0), 6.0) - 2.5, -40.0],
                                   [3.0, back_of(soleus, -70.0, (-3.0, 9.0), 6.0) - 2.5, -70.0],
                                   [-5.0, tb(-150.0) - 29.5, -150.0], [-8.0, tb(-245.0) - 26.0, -245.0]],
                     widths=[(0.0, 8.0), (0.2, 14.0), (0.32, 4.0), (1.0, 3.0)],
                     thickness=[(0.0, 6.0), (0.2, 9.0), (0.32, 3.0), (1.0, 2.0)],
                     landmarks=("lateral_condyle_back", "tibia posterior surface"), out_of_joint=True, held=(1, 2, 3),
                     construction="small belly from the femur just above the lateral gastrocnemius head, on the back of "
                                  "the popliteus deep to the lateral head, then a long thin tendon running down and "
                                  "medially between the gastrocnemius and the soleus")
        # Widest and thickest cross-section (mm) of each head's belly: 14 and 7 cm2, for the published volumes.
        for side, sign, site, lead, deep in (("medial", -1, "gasmed-P1_r", 56.0, 32.0), ("lateral", 1, "gaslat-P1_r", 36.0, 24.0)):
            origin = self._exit_backwards("femur", S[site] + [0.0, 0.0, -22.0])
            condyle = L[f"{side}_condyle_back"]
            controls = [origin, [condyle[0] + sign * 2, condyle[1] - 9, 5.0],
                        [sign * 17.0, tb(-70.0) - 53.0, -70.0], [sign * 14.0, tb(-130.0) - 60.0, -130.0],
                        [sign * 6.0, tb(-200.0) - 54.0, -200.0], [sign * 1.0, tb(-245.0) - 47.0, -245.0]]
            self._muscle(f"gastrocnemius_{side}_head", controls,
                         widths=[(0.0, 10.0), (0.15, 20.0), (0.45, lead), (0.75, lead * 0.7), (1.0, 12.0)],
                         thickness=[(0.0, 5.0), (0.15, 12.0), (0.45, deep), (0.75, deep * 0.65), (1.0, 5.0)],
                         landmarks=(site, f"{side}_condyle_back", "tibia posterior surface"),
                         construction=f"origin on the back of the femur above the {side} condyle (leg-model site moved back "
                                      "to the bone surface), belly down the back of the calf behind the soleus, bulging most "
                                      "at 7-13 cm below the joint line, narrowing toward the Achilles tendon; cut at the "
                                      "bottom of the scene",
                         sizes=f"belly up to {lead:g} x {deep:g} mm across, for the published volume: "
                               + SIZE_SOURCES[f"gastrocnemius_{side}_head_volume"][1])

    def _muscle(self, structure_id, controls, widths, thickness, landmarks, construction, hint=(1, 0, 0),
                sizes=None, out_of_joint: bool = False, held: tuple[int, ...] = ()) -> Modelled:
        """A muscle swept along ``controls``, kept clear of the bones and the muscles built before it; the
        path keeps passing through the controls whose indices are in ``held``."""
        if self._use_given(structure_id):
            return self.given[structure_id]
        samples = 70
        path = smooth_path(np.asarray(controls, dtype=float), samples)
        fixed = (samples - 1, *(int(np.argmin(np.linalg.norm(path - controls[i], axis=1))) for i in held))
        arc = np.linspace(0.0, 1.0, samples)
        width = np.interp(arc, *zip(*widths))
        depth = np.interp(arc, *zip(*thickness))
        path = keep_clear(path, depth / 2, self.bone_list, margin=0.5, fixed=fixed)
        # A model continuing a segmented muscle is instead pushed out of its neighbours once joined (_add).
        earlier = [] if structure_id in self.given else [
            (item.mesh, self._merges_below(structure_id, item.id))
            for item in self.built.values() if item.kind == "muscle" and not _blend(structure_id, item.id)]
        assumptions = "cross-sections are ellipses interpolated along the path; the muscle's far end is cut where the scene ends"
        if earlier:
            def surface(line):
                return sweep(line, width, depth, normal_hint=hint, sides=18)

            for _ in range(3):
                path = keep_surface_clear(path, surface, 18, earlier, margin=0.3, fixed=fixed)
                path = keep_clear(path, depth / 2, self.bone_list, margin=0.5, fixed=fixed)
            path = keep_surface_clear(path, surface, 18, earlier, margin=0.3, fixed=fixed)
            if out_of_joint:
                # Pushed clear of its neighbours, a slip of a muscle with no room may be pushed into the joint.
                path = keep_clear(path, depth / 2, self.bone_list + self.joint_solids, margin=0.5, fixed=fixed)
                assumptions += "; last, its course kept out of the joint (cartilage and menisci)"
            assumptions += ("; its surface is pushed clear of the muscles built before it (" +
                            ", ".join(item.id.replace("_", " ") for item in self.built.values() if item.kind == "muscle"
                                      and not _blend(structure_id, item.id)) +
                            "), so that neighbours touch without passing through each other")
            blended = [item.id.replace("_", " ") for item in self.built.values()
                       if item.kind == "muscle" and _blend(structure_id, item.id)]
            if blended:
                assumptions += (f"; it is not pushed out of the {', '.join(blended)}, which it arises with and lies "
                                "against (a segmentation at 1 mm slices does not separate the two)")
            if structure_id == "gastrocnemius_lateral_head":
                assumptions += (f", except that the two gastrocnemius heads may merge below {GASTROCNEMIUS_JOIN_Z:g} mm, "
                                "where they form one belly")
        mesh = sweep(path, width, depth, normal_hint=hint, sides=18)
        record = Modelled(structure_id, "muscle", mesh, path, tuple(landmarks), construction, assumptions)
        if sizes:
            record.sizes = sizes
        return self._add(record)

    def _separate_muscles(self, passes: int = 2) -> None:
        """Neighbouring muscles touch without passing through each other: what the build may move (a
        modelled muscle, or a continued one beyond the slab) is moved out of every other muscle, twice
        round (the gastrocnemius heads only above the level where they form one belly)."""
        muscles = [item for item in self.built.values() if item.kind == "muscle"]
        for _ in range(passes):
            for item in muscles:
                vertices = np.array(item.mesh.vertices)
                weights = item.move_weights()
                for other in muscles:
                    if other.id == item.id or _blend(item.id, other.id):
                        continue
                    held = np.flatnonzero((weights > 0.0) & (vertices[:, 2] > self._merges_below(item.id, other.id)))
                    vertices[held] += weights[held, None] * (push_out(vertices[held], [other.mesh]) - vertices[held])
                item.mesh.vertices = vertices
        for item in muscles:
            if item is not self.given.get(item.id):
                item.assumptions += ("; last, what still reached into a neighbouring muscle was moved onto its "
                                     "surface (0.3 mm outside)")

    def _muscles(self, *structure_ids: str) -> list[trimesh.Trimesh]:
        """The meshes of those of ``structure_ids`` built so far."""
        return [self.built[name].mesh for name in structure_ids if name in self.built]

    @staticmethod
    def _merges_below(structure_id: str, other_id: str) -> float:
        """Height below which ``structure_id`` may run into ``other_id`` (the gastrocnemius heads' common belly)."""
        return MERGE_BELOW.get(frozenset((structure_id, other_id)), -np.inf)

    # segmented structures without a model of their own ----------------------------------------
    def courses_beyond_slab(self, table: tuple[courses.Course, ...]) -> None:
        """Model the course beyond the slab of each segmented structure in ``table`` that the slab cuts,
        and join it on (see :mod:`explorer.build.courses`)."""
        for course in table:
            if course.structure not in self.given or self._use_given(course.structure):
                continue
            given = self.given[course.structure]
            controls, used = self._course_controls(course, given)
            samples = 50
            path = smooth_path(np.asarray(controls, dtype=float), samples)
            arc = np.linspace(0.0, 1.0, samples)
            width, depth = (np.interp(arc, *zip(*profile)) for profile in (course.widths, course.thickness))
            if self._runs_down(course, given):
                width, depth = width[::-1], depth[::-1]
            own_belly = course.structure.removesuffix("_tendon")
            solids = self.bone_list + ([item.mesh for item in self.built.values()
                                        if item.kind == "muscle" and item.id != own_belly]
                                       if course.kind != "muscle" else [])
            path = keep_clear(path, np.minimum(width, depth) / 2, solids, margin=0.5)
            mesh = sweep(path, width, depth, normal_hint=course.hint, sides=16)
            largest = float(np.max(np.pi / 4 * width * depth)) / 100.0
            self._add(Modelled(course.structure, course.kind, mesh, path, tuple(used), course.construction,
                               f"cross-sections are ellipses interpolated along the course, largest {largest:.1f} cm2; "
                               "pushed clear of the bones" + ("" if course.kind == "muscle" else
                                                              " and of the muscles (but its own belly)")))

    def _runs_down(self, course: courses.Course, given: Modelled) -> bool:
        """Whether ``course`` leaves the slab only through its bottom edge (its profiles then run downward)."""
        if course.along:
            return cut_ends(given.mesh, self.slab) == [-1]
        return bool(course.below) and not course.above

    def _course_controls(self, course: courses.Course, given: Modelled) -> tuple[list[np.ndarray], list[str]]:
        """Control points of a course, from its lower end to its upper one, and the landmarks used."""
        line = given.centreline  # top to bottom
        used: list[str] = []

        def placed(places, start: np.ndarray) -> list[np.ndarray]:
            points, previous = [], start
            for place in places:
                if place[0] == "site":
                    point = self.sites[place[1]]
                elif place[0] == "toward":
                    site, z = self.sites[place[1]], place[2]
                    point = previous + (z - previous[2]) / (site[2] - previous[2]) * (site - previous)
                else:
                    _, name, z, dx, dy = place
                    if name in self.bones:
                        centre = section_centre(self.bones[name], z)
                    else:
                        other = self.built[name].centreline
                        centre = other[np.argmin(np.abs(other[:, 2] - z))]
                    point = np.array([centre[0] + dx, centre[1] + dy, z])
                used.append(place[1] if place[0] != "at" else f"{place[1]} cross-section")
                points.append(np.asarray(point, dtype=float))
                previous = points[-1]
            return points

        def along_muscle(end: np.ndarray, down: bool) -> list[np.ndarray]:
            """Points beyond ``end`` following the muscle's centre line for ``length_mm``, outward."""
            muscle = self.built[course.along].centreline  # top to bottom
            start = muscle[np.argmin(np.abs(muscle[:, 2] - end[2]))]
            beyond = muscle[muscle[:, 2] < end[2]] if down else muscle[muscle[:, 2] > end[2]][::-1]
            steps = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(beyond, axis=0), axis=1))])
            beyond = beyond[steps <= course.length_mm] if len(beyond) else beyond
            used.append(f"{course.along} centre line")
            return [end + point - start for point in beyond[1:]]

        down = self._runs_down(course, given)
        below = placed(course.below, line[-1])[::-1]
        above = placed(course.above, line[0])
        if course.along and down:
            below = along_muscle(line[-1], True)[::-1]
        elif course.along:
            above = along_muscle(line[0], False)
        if above and below:
            middle = line[:: max(1, len(line) // 8)][::-1]
        elif above:
            middle = [line[np.argmin(np.abs(line[:, 2] - (line[0, 2] - 15.0)))], line[0]]
        else:
            middle = [line[-1], line[np.argmin(np.abs(line[:, 2] - (line[-1, 2] + 15.0)))]]
        return [*below, *middle, *above], used

    # nerves and vessels --------------------------------------------------------------------
    def vessels_and_nerves(self) -> None:
        L, D = self.L, DIAMETERS
        muscles = [self.built[m].mesh for m in self.built if self.built[m].kind == "muscle"]
        back = self._back
        artery = [[-14.0, back(115.0, (-30, 20)) - 6.0, 115.0], [-6.0, back(60.0) - 6.0, 60.0],
                  [-1.0, back(20.0) - 4.5, 20.0], [0.0, back(0.0) - 5.0, 0.0], [1.0, back(-30.0) - 13.0, -30.0],
                  [2.0, back(-62.0) - 5.0, -62.0]]
        self._tube("popliteal_artery", "vessel", artery, D["popliteal_artery"],
                   ("femur and tibia posterior surfaces",),
                   "runs from the adductor hiatus down the back of the femur and knee capsule, deepest of the "
                   "neurovascular bundle, to the lower border of the popliteus",
                   "centre line 4.5-6 mm behind the bone at each level, but 13 mm behind the tibia where it lies on "
                   "the popliteus; it ends where it divides into the tibial arteries (modelled on their own)",
                   sizes=SIZE_SOURCES["popliteal_artery"][1], solids=self.bone_list + self._muscles(*FOSSA_FLOOR_AND_SIDES),
                   margin=0.5)
        offset_vein = np.array([3.5, -8.5, 0.0])
        vein = [np.asarray(p) + offset_vein for p in artery]
        self._tube("popliteal_vein", "vessel", vein, D["popliteal_vein"], ("popliteal artery centre line",),
                   "runs beside and behind the artery (between artery and tibial nerve), slightly lateral",
                   "calibre 9 mm assumed (no measured reference used); follows the artery 9 mm behind it",
                   solids=self.bone_list + self._muscles(*FOSSA_FLOOR_AND_SIDES, "soleus")
                   + [self.built["popliteal_artery"].mesh], margin=0.5)
        division = np.array([2.0, back(70.0) - 30.0, 70.0])
        branch_tops = {"tibial_nerve": [], "common_fibular_nerve": []}
        if self.slab and all(n in self.given and 1 in cut_ends(self.given[n].mesh, self.slab) for n in branch_tops):
            # The segmented branches are still apart at the slab's top edge: the sciatic nerve divides above it,
            # and each branch's model runs from there through its segmented top.
            branch_tops = {n: [self.given[n].centreline[0]] for n in branch_tops}
            division = np.mean([top[0] for top in branch_tops.values()], axis=0) + [0.0, 0.0, 15.0]
        sciatic_top = np.array([L["femur_shaft_centre_200"][0] - 4.0, back(245.0, (-40, 60)) - 30.0, 245.0])
        tibial_calibre = D["tibial_nerve"]
        sciatic_area = 25.9 + 8.4
        self._tube("sciatic_nerve", "nerve", [sciatic_top, [division[0] + 1.0, back(150.0, (-40, 60)) - 30.0, 150.0], division],
                   diameter=equivalent_diameter(sciatic_area) * 0.75, width=equivalent_diameter(sciatic_area) / 0.75,
                   landmarks=("femur_shaft_centre_200",),
                   construction="flattened cord down the back of the thigh, between the hamstrings, to its division at "
                                f"the apex of the popliteal fossa {division[2] / 10:.0f} cm above the joint line",
                   assumptions="cross-section = the sum of the tibial and common fibular parts' areas (below), flattened 4:3",
                   solids=self.bone_list + muscles)
        tb = self._tibia_back
        tibial = [division, *branch_tops["tibial_nerve"], [1.0, back(30.0) - 20.0, 30.0], [1.5, back(0.0) - 19.0, 0.0], [1.0, back(-40.0) - 18.0, -40.0],
                  [-1.0, tb(-100.0) - 6.5, -100.0], [-3.0, tb(-170.0) - 6.5, -170.0], [-5.0, tb(-245.0) - 6.5, -245.0]]
        self._tube("tibial_nerve", "nerve", tibial, tibial_calibre, ("tibia_shaft_centre_150",),
                   "continues straight down the middle of the popliteal fossa, most superficial of the three at the "
                   "joint line, then deep to the gastrocnemius heads and the soleus, on the back of the tibia",
                   "centre line 18-20 mm behind the bones in the fossa and 6.5 mm behind the tibia in the calf (on "
                   "tibialis posterior, not modelled); branches to muscles not modelled",
                   sizes=SIZE_SOURCES["tibial_nerve"][1],
                   solids=self.bone_list + self._muscles(*FOSSA_FLOOR_AND_SIDES, "soleus")
                   + [self.built["popliteal_vein"].mesh, self.built["popliteal_artery"].mesh], margin=0.5)
        head_back = L["fibular_head_back"]
        wind = [self._round_fibula(L["fibular_neck"][2] + 16.0 - 24.0 * a / np.radians(140.0), a, 3.5)
                for a in np.radians([0.0, 35.0, 70.0, 105.0, 140.0])]
        cfn = [division, *branch_tops["common_fibular_nerve"], [division[0] + 14.0, back(40.0) - 20.0, 40.0],
               L["lateral_condyle_back"] + [14.0, -12.0, -10.0], head_back + [1.0, -5.0, 0.0], *wind]
        self._tube("common_fibular_nerve", "nerve", cfn, D["common_fibular_nerve"],
                   ("fibular_head_back", "fibular_neck", "lateral_condyle_back"),
                   "leaves the sciatic division laterally, follows the medial edge of the biceps femoris tendon, passes "
                   "behind the fibular head and winds round the top of the fibular neck, where head and neck meet, to "
                   "its front, where it divides",
                   "winds 3.5 mm outside the neck's mean radius, descending from 16 mm above to 8 mm below the "
                   "narrowest level measured; "
                   "centre line pushed clear of the bones, the biceps and (where it is built) the fibularis longus",
                   sizes=SIZE_SOURCES["common_fibular_nerve"][1],
                   solids=self.bone_list + self._muscles("biceps_femoris", "fibularis_longus"), margin=1.0)
        split = self.built["common_fibular_nerve"].centreline[-1]
        fibula_150 = L["fibula_shaft_centre_150"]
        self._tube("superficial_fibular_nerve", "nerve",
                   [split, split + [5.0, 4.0, -20.0], fibula_150 + [11.0, 9.0, 0.0], fibula_150 + [10.0, 12.0, -95.0]],
                   D["superficial_fibular_nerve"], ("fibular_neck", "fibula_shaft_centre_150"),
                   "from the division at the fibular neck down the lateral side of the leg, beside the fibula",
                   "calibre: half the common fibular nerve's area")
        on_membrane = [self._on_membrane(z, 3.0, 1.0) for z in np.arange(-90.0, -246.0, -15.0)]
        self._tube("deep_fibular_nerve", "nerve", [split, split + [-4.0, 8.0, -14.0], *on_membrane],
                   D["deep_fibular_nerve"], ("fibular_neck", "tibia and fibula cross-sections"),
                   "from the division at the fibular neck forward and down onto the front of the interosseous "
                   "membrane, on which it runs between tibia and fibula",
                   "the membrane taken as the line between the nearest points of tibia and fibula at each level; the "
                   "centre line 3 mm in front of its middle, 1 mm toward the fibula; calibre: half the common fibular "
                   "nerve's area", solids=self.bone_list + self._muscles(*FRONT_OF_LEG), margin=0.5)
        calf = self._calf_surface
        tibial_line = self.built["tibial_nerve"].centreline
        start_medial = tibial_line[np.argmin(np.abs(tibial_line[:, 2] - 10.0))]
        join = calf(3.0, -165.0)
        self._tube("medial_sural_cutaneous_nerve", "nerve",
                   [start_medial, start_medial + [-1.0, -8.0, -20.0], calf(-2.0, -60.0), calf(0.0, -110.0), join],
                   D["medial_sural_cutaneous_nerve"], ("tibial nerve centre line",),
                   "branches from the tibial nerve in the popliteal fossa and runs down superficially in the groove "
                   "between the two gastrocnemius heads",
                   "runs 2 mm outside the gastrocnemius surface; calibre as the sural nerve",
                   sizes=SIZE_SOURCES["sural_nerve"][1], solids=self.bone_list + muscles, margin=0.8)
        cfn_line = self.built["common_fibular_nerve"].centreline
        start_lateral = cfn_line[np.argmin(np.abs(cfn_line[:, 2] - 20.0))]
        self._tube("lateral_sural_cutaneous_nerve", "nerve",
                   [start_lateral, calf(22.0, -35.0), calf(15.0, -100.0), join],
                   D["lateral_sural_cutaneous_nerve"], ("common fibular nerve centre line",),
                   "branches from the common fibular nerve and crosses the lateral gastrocnemius head superficially as "
                   "the sural communicating branch, joining the medial sural cutaneous nerve",
                   "runs 2 mm outside the gastrocnemius surface; calibre as the sural nerve",
                   sizes=SIZE_SOURCES["sural_nerve"][1], solids=self.bone_list + muscles, margin=0.8)
        self._tube("sural_nerve", "nerve", [join, calf(9.0, -205.0), calf(14.0, -245.0)], D["sural_nerve"],
                   ("medial and lateral sural cutaneous centre lines",),
                   "formed where the two sural cutaneous branches meet in the calf, running down beside the small "
                   "saphenous vein",
                   "runs 2 mm outside the gastrocnemius surface", sizes=SIZE_SOURCES["sural_nerve"][1],
                   solids=self.bone_list + muscles, margin=0.8)
        vein_line = self.built["popliteal_vein"].centreline
        junction = vein_line[np.argmin(np.abs(vein_line[:, 2] - 25.0))]
        self._tube("small_saphenous_vein", "vessel",
                   [calf(10.0, -245.0, 3.0), calf(5.0, -190.0, 3.0), calf(1.0, -110.0, 3.0), calf(0.0, -40.0, 3.0),
                    junction + [0.0, -14.0, -8.0], junction],
                   D["small_saphenous_vein"], ("popliteal vein centre line",),
                   "runs up the middle of the back of the calf just under the skin, beside the sural nerve, and dives "
                   "between the gastrocnemius heads to join the popliteal vein in the fossa",
                   "calibre 3 mm assumed (no measured reference used)",
                   solids=self.bone_list + muscles + [self.built[nerve].mesh for nerve in (
                       "sural_nerve", "medial_sural_cutaneous_nerve", "lateral_sural_cutaneous_nerve")], margin=0.5)

    # calf vessels ----------------------------------------------------------------------------
    def calf_vessels(self) -> None:
        """The popliteal artery's division into the tibial arteries at the lower border of the popliteus, and
        the deep calf veins that the popliteal vein drains (where deep vein thrombosis usually starts)."""
        D, tb = DIAMETERS, self._tibia_back
        muscles = [item.mesh for item in self.built.values() if item.kind == "muscle"]
        division = _lowest(self.built["popliteal_artery"].centreline)
        vein_start = _lowest(self.built["popliteal_vein"].centreline)
        nerve = self.built["tibial_nerve"].centreline

        def beside_nerve(z: float, dx: float) -> np.ndarray:
            point = nerve[np.argmin(np.abs(nerve[:, 2] - z))]
            return np.array([point[0] + dx, tb(z) - 6.0, z])

        gap = division[2] - 16.0
        anterior = [division, division + [3.0, 1.0, -6.0], self._on_membrane(gap + 2.0, -4.0, 0.0),
                    self._on_membrane(gap - 4.0, 4.0, -1.0),
                    *[self._on_membrane(z, 2.5, -4.0) for z in np.arange(-110.0, -246.0, -15.0)]]
        self._tube("anterior_tibial_artery", "vessel", anterior, D["anterior_tibial_artery"],
                   ("popliteal artery centre line", "tibia and fibula cross-sections"),
                   "from the popliteal artery's division at the lower border of the popliteus forward through the gap "
                   "above the interosseous membrane, then down on the front of the membrane, medial of the deep "
                   "fibular nerve",
                   "the membrane taken as the line between the nearest points of tibia and fibula at each level; the "
                   "centre line 2.5 mm in front of its middle, 4 mm toward the tibia", sizes=CALF_VESSEL_SIZES,
                   solids=self.bone_list + [self.built["deep_fibular_nerve"].mesh], margin=0.5)
        posterior = [division, division + [-2.0, -1.0, -14.0], beside_nerve(-110.0, -8.0), beside_nerve(-170.0, -8.0),
                     beside_nerve(-245.0, -8.0)]
        self._tube("posterior_tibial_artery", "vessel", posterior, D["posterior_tibial_artery"],
                   ("popliteal artery centre line", "tibial nerve centre line", "tibia posterior surface"),
                   "the larger terminal branch: from the division straight down the back of the leg, deep to the "
                   "soleus, on the deep muscles (not modelled), 8 mm medial of the tibial nerve",
                   "centre line 6 mm behind the tibia", sizes=CALF_VESSEL_SIZES,
                   solids=self.bone_list + muscles + [self.built["tibial_nerve"].mesh], margin=0.5)
        artery = self.built["posterior_tibial_artery"].centreline
        pair = []
        for side in (-1.0, 1.0):
            beside = [point + [side * 3.8, -0.5, 0.0] for point in artery[artery[:, 2] < division[2] - 25.0][::6]]
            pair.append([vein_start, vein_start + [side * 2.5, 0.5, -10.0], *beside])
        self._tubes("posterior_tibial_veins", pair, D["posterior_tibial_veins"],
                    ("popliteal vein centre line", "posterior tibial artery centre line"),
                    "paired veins on either side of the posterior tibial artery, joining at the lower border of the "
                    "popliteus into the popliteal vein",
                    solids=self.bone_list + muscles + [self.built["tibial_nerve"].mesh, self.built["posterior_tibial_artery"].mesh])
        veins = self.built["posterior_tibial_veins"].centreline
        joins = veins[np.argmin(np.abs(veins[:, 2] + 95.0))]
        pair = [[joins, *[self._on_membrane(z, -6.0, 5.0 + side) for z in np.arange(-125.0, -246.0, -20.0)]][::-1]
                for side in (-2.2, 2.2)]
        self._tubes("fibular_veins", pair, D["fibular_veins"], ("tibia and fibula cross-sections", "posterior tibial veins"),
                    "paired veins behind the interosseous membrane close to the fibula, in front of the soleus, "
                    "draining up into the posterior tibial veins about 3 cm below the popliteus",
                    solids=self.bone_list + muscles + [self.built[name].mesh for name in (
                        "posterior_tibial_artery", "anterior_tibial_artery")])
        sinus_paths = []
        soleus = self.built["soleus"].centreline
        for dx in (-14.0, 0.0, 14.0):
            inner = [point + [dx, 0.0, 0.0] for point in soleus[(soleus[:, 2] < -95.0) & (soleus[:, 2] > -185.0)][::4]]
            top = inner[0]
            sinus_paths.append([*inner[::-1], top + [0.0, 4.0, 8.0], beside_nerve(top[2] + 14.0, -8.0 + 0.5 * dx)])
        self._tubes("soleal_veins", sinus_paths, D["soleal_veins"], ("soleus centre line", "posterior tibial veins"),
                    "wide venous sinuses inside the soleus belly, 9 to 18 cm below the joint line, each leaving the "
                    "front of the muscle to drain into the posterior tibial veins",
                    solids=self.bone_list + [self.built[name].mesh for name in ("tibial_nerve", "posterior_tibial_artery")],
                    inside_muscle=True)
        gastrocnemius_paths = []
        vein = self.built["popliteal_vein"].centreline
        for head in ("gastrocnemius_medial_head", "gastrocnemius_lateral_head"):
            line = self.built[head].centreline
            inner = list(line[(line[:, 2] < -20.0) & (line[:, 2] > -95.0)][::4])
            into = vein[np.argmin(np.abs(vein[:, 2] + 5.0))]
            gastrocnemius_paths.append([*inner[::-1], inner[0] + [0.0, 6.0, 10.0], into])
        self._tubes("gastrocnemius_veins", gastrocnemius_paths, D["gastrocnemius_veins"],
                    ("gastrocnemius centre lines", "popliteal vein centre line"),
                    "one short vein in each gastrocnemius head, gathering blood from the upper half of the belly and "
                    "leaving its deep surface to drain into the popliteal vein just below the joint line",
                    solids=self.bone_list + self._muscles("popliteus", "plantaris")
                    + [self.built[name].mesh for name in ("tibial_nerve", "popliteal_artery")], inside_muscle=True)

    def _tubes(self, structure_id: str, paths, diameter: float, landmarks, construction: str, solids,
               inside_muscle: bool = False) -> Modelled:
        """One structure of several vessels (paired veins, sinuses), each swept along its own smooth path."""
        meshes, lines = [], []
        for controls in paths:
            path = smooth_path(np.asarray(controls, dtype=float), 50)
            path = keep_clear(path, diameter / 2, solids, margin=0.5, fixed=(len(path) - 1,))
            path = keep_clear(path, diameter / 2, self.bone_list, margin=0.5, fixed=(len(path) - 1,))
            meshes.append(sweep(path, diameter, diameter, normal_hint=(1.0, 0.0, 0.0), sides=12))
            lines.append(path)
        assumptions = (f"{len(paths)} vessels of {diameter:g} mm calibre swept along smooth paths through the points "
                       "named, pushed clear of the bones and of the nerves, vessels and muscles beside them" +
                       ("; they run inside their own muscle, as these veins do" if inside_muscle else ""))
        return self._add(Modelled(structure_id, "vessel", trimesh.util.concatenate(meshes), np.vstack(lines),
                                  tuple(landmarks), construction, assumptions, CALF_VESSEL_SIZES,
                                  diameter=float(diameter)))

    def _round_fibula(self, z: float, angle: float, gap: float) -> np.ndarray:
        """A point ``gap`` mm outside the mean radius of the fibula's cross-section at height ``z``, ``angle``
        (radians) round from straight behind it toward its lateral side."""
        outline = np.asarray(self.bones["fibula"].section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0]).vertices)
        centre = outline.mean(axis=0)
        radius = float(np.linalg.norm(outline[:, :2] - centre[:2], axis=1).mean())
        return np.array([centre[0] + (radius + gap) * np.sin(angle), centre[1] - (radius + gap) * np.cos(angle), z])

    def _on_membrane(self, z: float, forward: float, toward_fibula: float) -> np.ndarray:
        """A point by the interosseous membrane at height ``z``: from the middle of the line between the nearest
        points of the tibia's and the fibula's cross-sections, ``forward`` mm out of the membrane's plane on its
        front (anterior compartment) side and ``toward_fibula`` mm along it."""
        tibia, fibula = nearest_outline_points(self.bones["tibia"], self.bones["fibula"], z)
        along = (fibula - tibia) * [1.0, 1.0, 0.0]
        along /= np.linalg.norm(along)
        front = np.array([along[1], -along[0], 0.0]) * (1.0 if along[1] < 0 else -1.0)
        return (tibia + fibula) / 2 + forward * front + toward_fibula * along

    def _calf_surface(self, x: float, z: float, gap: float = 2.0) -> np.ndarray:
        """A point ``gap`` mm behind the most posterior gastrocnemius surface at (x, z)."""
        y = np.inf
        for head in ("gastrocnemius_medial_head", "gastrocnemius_lateral_head"):
            vertices = self.built[head].mesh.vertices
            near = vertices[(np.abs(vertices[:, 2] - z) < 6.0) & (np.abs(vertices[:, 0] - x) < 8.0)]
            if len(near):
                y = min(y, float(near[:, 1].min()))
        if not np.isfinite(y):
            y = self._back(max(z, -245.0), (-40, 40)) - 40.0
        return np.array([x, y - gap, z])

    # bursa and pathology ----------------------------------------------------------------------
    def bursae(self) -> None:
        medial_head = self.built["gastrocnemius_medial_head"]
        semimembranosus = self.built["semimembranosus"]
        z = 8.0
        a = medial_head.centreline[np.argmin(np.abs(medial_head.centreline[:, 2] - z))]
        b = semimembranosus.centreline[np.argmin(np.abs(semimembranosus.centreline[:, 2] - z))]
        centre = (a + b) / 2
        sac = cleft_sac(medial_head.mesh, semimembranosus.mesh, self.bone_list + self.joint_solids, centre,
                        opening_to=self.bones["femur"])
        self._add(Modelled("semimembranosus_gastrocnemius_bursa", "bursa", sac, centre[None, :],
                           ("semimembranosus and medial gastrocnemius surfaces", "femur surface"),
                           "sac filling the cleft between the medial gastrocnemius head and the semimembranosus behind "
                           "the medial femoral condyle: the space within 4 mm of both muscles and outside both, 22 mm "
                           "tall and at most 25 mm across, with a 3 mm neck forward to the femur's articular cartilage, "
                           "where the bursa opens into the joint",
                           "normal size, about 2 cm tall; the wall lies on both muscles' surfaces (smoothed by 0.5 mm)"))
        cyst = cleft_sac(medial_head.mesh, semimembranosus.mesh, self.bone_list, centre + [0.0, -9.0, -6.0], reach=10.0,
                         half_height=26.0, half_width=20.0, opening_to=self.bones["femur"], neck_mm=5.0)
        self._add(Modelled("bakers_cyst", "pathology", cyst, centre[None, :],
                           ("semimembranosus and medial gastrocnemius surfaces", "femur surface"),
                           "the same bursa enlarged by joint fluid: the space within 10 mm of both muscles and outside "
                           "them, up to 52 mm tall, bulging backwards between them, with a 5 mm neck forward to the femur",
                           "pathology variant: about 5 cm tall, a size often seen on scans; the muscles are not pushed aside"))
        vein = self.built["popliteal_vein"].centreline
        part = vein[(vein[:, 2] > -28.0) & (vein[:, 2] < 12.0)]
        mesh = sweep(part, DIAMETERS["popliteal_vein"] * 0.7, DIAMETERS["popliteal_vein"] * 0.7, sides=14)
        self._add(Modelled("popliteal_vein_thrombus", "pathology", mesh, part, ("popliteal vein centre line",),
                           "a clot filling the popliteal vein's lumen over 4 cm at the level of the joint",
                           "pathology variant: diameter 70% of the vein's, shown only when asked for"))

    def capsule(self) -> None:
        """The posterior joint capsule over the back of the condyles and the tibial plateau, bridging the notch,
        with its posteromedial opening where the bursa's neck reaches the joint."""
        bursa = self.built["semimembranosus_gastrocnemius_bursa"].mesh
        opening = bursa.vertices[np.argmin(trimesh.proximity.closest_point(self.bones["femur"], bursa.vertices)[1])]
        condyles = [self.L["medial_condyle_back"], self.L["lateral_condyle_back"]]
        notch_x = self.L["notch_centre"][0]

        def window(points: np.ndarray) -> np.ndarray:
            """Behind the condyles' fronts, from 12 mm below the joint line up to 32 mm over the condyles and
            24 mm at the notch (the intercondylar line)."""
            x, y, z = points[..., 0], points[..., 1], points[..., 2]
            top = 32.0 - 8.0 * np.exp(-(((x - notch_x) / 9.0) ** 2))
            return ((x >= condyles[0][0] - 22.0) & (x <= condyles[1][0] + 20.0) & (z >= -12.0) & (z <= top)
                    & (y <= max(c[1] for c in condyles) + 12.0))

        mesh = posterior_capsule([self.bones["femur"], self.bones["tibia"], *self.joint_solids], window,
                                 openings=((opening, 3.5),), clear_of=[bursa, self.bones["fibula"]])
        self._add(Modelled("posterior_joint_capsule", "ligament", mesh, np.array([opening]),
                           ("medial_condyle_back", "lateral_condyle_back", "bursa's neck"),
                           "sheet 1.4 mm thick lying 0.4 mm outside the back of the femur, tibia, menisci and cartilage, "
                           "from 12 mm below the joint line up to 32 mm above it over the condyles and 24 mm at the "
                           "notch, and from behind the condyles forward to their sides, spanning the intercondylar "
                           "notch and the joint space (hollows up to about 24 mm wide bridged over), with a round "
                           "opening 7 mm across where the semimembranosus-gastrocnemius bursa's neck reaches the joint",
                           "the capsule's attachments taken as the edges of that window; kept off the fibular head and "
                           "out of the bursa; the muscles arising from it lie over it",
                           "thickness assumed (the posterior capsule is 1-2 mm thick); no single published figure"))

    def build_all(self) -> list[Modelled]:
        """Every structure modelled or continued, in build order (later ones avoid earlier ones); given
        structures used as they are are left out."""
        self.ligaments()
        self.muscles()
        self.courses_beyond_slab(courses.MUSCLES)
        self._separate_muscles()
        self.courses_beyond_slab(courses.OTHERS)
        self.vessels_and_nerves()
        self.calf_vessels()
        self.bursae()
        self.capsule()
        self.capsule_ligaments()
        return [item for item in self.built.values() if item is not self.given.get(item.id)]


def _lowest(line: np.ndarray) -> np.ndarray:
    """The lowest point of a centre line."""
    return line[np.argmin(line[:, 2])]


def _joined(given: Modelled, model: Modelled, slab: tuple[float, float], solids: list[trimesh.Trimesh]) -> Modelled:
    """The segmented structure ``given`` with ``model``'s course beyond the slab joined on (kept out of ``solids``)."""
    mesh, beyond, joins, weights = continue_structure(given.mesh, model.mesh, model.centreline, slab, solids)
    if not joins:
        return given
    line = np.vstack([beyond.get(1, np.empty((0, 3))), given.centreline, beyond.get(-1, np.empty((0, 3)))])
    heights = ", ".join(f"{join.height:.0f}" for join in joins)
    construction = (f"segmented within the atlas's slab ({slab[0]:.0f} to {slab[1]:.0f} mm); beyond it (joined at "
                    f"z = {heights} mm) the schematic model: {model.construction}")
    assumptions = (f"{model.assumptions}; near each join the model is moved onto the segmented end (same centre, area and "
                   f"second moments of the cross-section; moved {', '.join(f'{j.offset_mm:.1f}' for j in joins)} mm), "
                   f"the correction fading out over {FADE_MM:g} mm of its course, and it runs on {TUCK_MM:g} mm inside "
                   "the segmented part")
    if any(join.outline_matched for join in joins):
        assumptions += (f"; where the segmented outline is one part seen whole from its centre, the model is also "
                        f"fitted onto that outline and the segmented part cut {INSET_MM:g} mm inside the slab's edge, "
                        "where the two outlines meet edge to edge")
    # The segmented part keeps its own ends: the model's attachments are not where this mesh ends.
    return Modelled(given.id, given.kind, mesh, line, model.landmarks,
                    construction, assumptions, model.sizes, {}, model.diameter, tuple(joins), weights)


def _run_on(path: np.ndarray, widths: np.ndarray, embed) -> tuple[np.ndarray, np.ndarray]:
    """``path`` continued straight past each end by ``embed`` mm (start, end), at its own point spacing.

    Over the continuation the width closes like a half ellipse, so the band's end is rounded.

    Examples
    --------
    >>> path = np.stack([np.zeros(5), np.zeros(5), np.linspace(0.0, 4.0, 5)], axis=1)
    >>> longer, widths = _run_on(path, np.full(5, 3.0), (2.0, 0.0))
    >>> longer[:, 2].tolist(), np.round(widths, 2).tolist()
    ([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0], [2.24, 2.83, 3.0, 3.0, 3.0, 3.0, 3.0])
    """
    step = float(np.linalg.norm(np.diff(path, axis=0), axis=1).mean())
    parts, part_widths = [path], [widths]
    for end, length in zip((0, -1), embed):
        count = int(np.ceil(length / step - 1e-9)) if length > 0 else 0
        if not count:
            continue
        inward = path[end] - path[1 if end == 0 else -2]
        inward /= np.linalg.norm(inward)
        beyond = path[end] + np.outer(np.linspace(length / count, length, count), inward)
        closing = widths[end] * np.sqrt(1.0 - (np.arange(1, count + 1) / (count + 1)) ** 2)
        if end == 0:
            parts.insert(0, beyond[::-1])
            part_widths.insert(0, closing[::-1])
        else:
            parts.append(beyond)
            part_widths.append(closing)
    return np.vstack(parts), np.concatenate(part_widths)


def _blend(structure_id: str, other_id: str) -> bool:
    """Whether two muscles blend (the plantaris and the lateral gastrocnemius head): neither is pushed out of
    the other."""
    return frozenset((structure_id, other_id)) in BLENDS
