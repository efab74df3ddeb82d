"""Courses beyond the atlas's slab for segmented structures that have no model of their own.

The thigh muscles, the muscles of the front and side of the leg, the great saphenous vein and the
tendons that run on into their muscles are segmented only within the slab. Each entry here says
where the structure goes beyond it: through leg-model muscle path sites, points placed relative to
a bone's or an already built structure's cross-section, or (for a tendon) along its muscle. The
soft-tissue builder turns a course into a model and joins it onto the segmented end (see
:mod:`explorer.build.continuation`), so that the structure does not stop in a flat cut.

A place in a course is one of:

``("site", name)``
    a leg-model muscle path site;
``("toward", name, z)``
    the point at height ``z`` on the line from the previous place to the site ``name``;
``("at", structure, z, dx, dy)``
    the centre of ``structure`` (a bone, or a structure built earlier) at height ``z``, moved by
    ``dx`` (lateral) and ``dy`` (anterior) mm.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Scene ends (mm): the long bones are continued to 250 mm from the joint line.
SCENE_TOP, SCENE_BOTTOM = 245.0, -245.0


@dataclass(frozen=True)
class Course:
    """Where one segmented structure runs beyond the slab, and how thick it is there.

    ``above`` and ``below`` list places away from the slab's top and bottom edge. ``widths`` and
    ``thickness`` are (fraction of the course, full diameter mm) pairs, the course running from
    the segmented end outward; a structure cut at both ends is one course from its lower end to
    its upper one. ``along`` (tendons): the muscle whose continued centre line the tendon follows,
    up or down from the edge the slab cuts it at, for ``length_mm`` before it has spread out into the belly.
    """

    structure: str
    kind: str
    construction: str
    above: tuple = ()
    below: tuple = ()
    widths: tuple[tuple[float, float], ...] = ((0.0, 3.0), (1.0, 3.0))
    thickness: tuple[tuple[float, float], ...] = ((0.0, 3.0), (1.0, 3.0))
    along: str | None = None
    length_mm: float = 0.0
    #: The direction the ``widths`` axis faces (a muscle lying on a bone is wide along its surface).
    hint: tuple[float, float, float] = (1.0, 0.0, 0.0)


MUSCLES = (
    Course("vastus_lateralis", "muscle",
           "runs up the lateral side of the thigh, wrapping the femur from front to back, toward its origin on the "
           "greater trochanter and the lateral lip of the linea aspera",
           above=(("at", "femur", 120.0, 24.0, 2.0), ("at", "femur", 184.0, 24.0, 4.0), ("at", "femur", SCENE_TOP, 22.0, -4.0)),
           widths=((0.0, 22.0), (0.3, 50.0), (0.6, 58.0), (1.0, 50.0)),
           thickness=((0.0, 16.0), (0.3, 24.0), (0.6, 30.0), (1.0, 26.0)), hint=(0.0, 1.0, 0.0)),
    Course("vastus_medialis", "muscle",
           "its bulk is low in the thigh; above the slab it thins as it runs up the front and medial side of the femur "
           "toward the intertrochanteric line",
           above=(("at", "femur", 120.0, -22.0, 14.0), ("at", "femur", 170.0, -16.0, 18.0), ("at", "femur", SCENE_TOP, -12.0, 16.0)),
           widths=((0.0, 50.0), (0.3, 42.0), (0.7, 28.0), (1.0, 16.0)),
           thickness=((0.0, 30.0), (0.3, 24.0), (0.7, 14.0), (1.0, 8.0)), hint=(0.7, 0.7, 0.0)),
    Course("gracilis", "muscle",
           "a strap down the medial side of the thigh from the pubis (leg-model origin site)",
           above=(("toward", "grac-P1_r", 150.0), ("toward", "grac-P1_r", SCENE_TOP)),
           widths=((0.0, 9.0), (0.35, 24.0), (1.0, 30.0)), thickness=((0.0, 7.0), (0.35, 10.0), (1.0, 11.0))),
    Course("sartorius", "muscle",
           "a long strap crossing the front of the thigh obliquely, from the anterior superior iliac spine "
           "(leg-model origin site) down its medial side",
           above=(("toward", "sart-P1_r", 150.0), ("toward", "sart-P1_r", SCENE_TOP)),
           widths=((0.0, 21.0), (0.35, 36.0), (1.0, 38.0)), thickness=((0.0, 15.0), (0.35, 11.0), (1.0, 10.0))),
    Course("tibialis_anterior", "muscle",
           "belly down the lateral side of the tibia's front, its tendon forming in the lowest third of the leg "
           "(leg-model path sites)",
           below=(("site", "tibant-P1_r"), ("site", "tibant-P2_r"), ("toward", "tibant-P3_r", SCENE_BOTTOM)),
           widths=((0.0, 23.0), (0.3, 30.0), (0.8, 24.0), (1.0, 16.0)),
           thickness=((0.0, 13.0), (0.3, 26.0), (0.8, 18.0), (1.0, 10.0))),
    Course("extensor_digitorum_longus", "muscle",
           "belly in front of the fibula and the interosseous membrane, lateral to tibialis anterior, toward the "
           "front of the ankle (leg-model insertion site)",
           below=(("at", "fibula", -110.0, 2.0, 26.0), ("at", "fibula", -170.0, 1.0, 31.0),
                  ("toward", "edl-P2_r", SCENE_BOTTOM)),
           widths=((0.0, 12.0), (0.3, 20.0), (1.0, 15.0)), thickness=((0.0, 9.0), (0.3, 16.0), (1.0, 11.0))),
    Course("fibularis_longus", "muscle",
           "belly on the lateral surface of the fibula, narrowing to its tendon behind the fibula toward the lateral "
           "malleolus (leg-model path site)",
           below=(("at", "fibula", -100.0, 12.0, 1.0), ("at", "fibula", -170.0, 11.0, -2.0),
                  ("toward", "perlong-P2_r", SCENE_BOTTOM)),
           widths=((0.0, 19.0), (0.3, 24.0), (0.7, 19.0), (1.0, 9.0)),
           thickness=((0.0, 10.0), (0.3, 16.0), (0.7, 12.0), (1.0, 5.0))),
)

OTHERS = (
    Course("semitendinosus_tendon", "tendon",
           "runs on up the back of its belly, into which it spreads, and down on the anteromedial face of the tibia "
           "to its insertion in the pes anserinus, just below the gracilis",
           along="semitendinosus", length_mm=50.0,
           below=(("at", "tibia", -48.0, -23.5, -4.0), ("at", "tibia", -55.0, -22.0, -2.0)),
           widths=((0.0, 7.0), (0.05, 6.0), (0.75, 11.0), (0.9, 9.0), (1.0, 1.0)),
           thickness=((0.0, 1.0), (0.05, 3.0), (0.75, 4.0), (0.9, 3.0), (1.0, 0.5))),
    Course("soleus_tendon", "tendon",
           "the tendinous origin from the head and back of the fibula runs on down the back of the soleus, "
           "into which it spreads", along="soleus", length_mm=40.0,
           widths=((0.0, 22.0), (0.6, 16.0), (1.0, 1.0)), thickness=((0.0, 3.0), (0.6, 2.5), (1.0, 0.5))),
    Course("biceps_femoris_tendon", "tendon", "runs on up within its belly, into which it spreads",
           along="biceps_femoris", length_mm=50.0,
           widths=((0.0, 9.0), (0.6, 8.0), (1.0, 1.0)), thickness=((0.0, 2.0), (0.6, 2.0), (1.0, 0.5))),
    Course("gracilis_tendon", "tendon", "runs on up along its belly, into which it spreads",
           along="gracilis", length_mm=40.0,
           widths=((0.0, 3.3), (0.6, 3.0), (1.0, 0.6)), thickness=((0.0, 2.2), (0.6, 2.0), (1.0, 0.4))),
    Course("adductor_magnus_tendon", "tendon",
           "runs up and back from the adductor tubercle toward the ischial tuberosity (leg-model origin site) and "
           "ends where the adductor magnus belly, which is not shown, takes over",
           above=(("toward", "addmagIsch-P1_r", 110.0), ("toward", "addmagIsch-P1_r", 140.0)),
           widths=((0.0, 5.6), (0.6, 7.0), (1.0, 1.0)), thickness=((0.0, 1.8), (0.6, 2.5), (1.0, 0.5))),
    Course("great_saphenous_vein", "vessel",
           "just under the skin: up the medial thigh beside the sartorius toward the groin, and down the medial side "
           "of the leg along the tibia toward the front of the medial malleolus",
           above=(("at", "sartorius", 130.0, -16.0, -6.0), ("at", "sartorius", 190.0, -17.0, -2.0),
                  ("at", "sartorius", SCENE_TOP, -18.0, 2.0)),
           below=(("at", "tibia", -100.0, -24.0, -8.0), ("at", "tibia", -170.0, -21.0, -2.0),
                  ("at", "tibia", SCENE_BOTTOM, -18.0, 6.0)),
           widths=((0.0, 4.0), (1.0, 4.0)), thickness=((0.0, 4.0), (1.0, 4.0))),
)
