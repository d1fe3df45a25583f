"""Render one B-mode frame: scene echogenicity x beam-space speckle x attenuation, log compression,
the fan on black, then vendor overlays outside it.

The image is made at half resolution (speckle, anatomy) and scaled to 480 x 640; text is drawn at
full resolution so it stays crisp like a real cart's overlay.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from cleftedge.simulator import beam, clinical, scene
from cleftedge.simulator.labels import LABELS
from cleftedge.simulator.overlays import STYLES, draw_overlays

HEIGHT, WIDTH = 480, 640
CANVAS_H, CANVAS_W = HEIGHT // 2, WIDTH // 2
_CLEFT_OF_LABEL = {"normal": "none", "unilateral_left": "left", "unilateral_right": "right",
                   "bilateral": "both", "off_plane": "none"}
OFF_PLANE_KINDS = ("orbits", "chin", "tangential")


@dataclass(frozen=True)
class Pose:
    """What changes from frame to frame: where the probe is and how the scanner is set."""

    fan: beam.Fan
    place: scene.Placement
    gain: float
    attenuation: float
    tgc: float
    dynamic_range_db: float
    noise_floor: float
    depth_cm: float

    @staticmethod
    def sample(rng: np.random.Generator, gain_habit: float = 1.0) -> Pose:
        """A random pose: the fan, where the face sits in it, and the scanner's settings (gain times the site's
        `gain_habit`)."""
        r_max = float(rng.uniform(196, 214))
        fan = beam.Fan(apex_x=CANVAS_W / 2 + float(rng.uniform(-6, 6)), apex_y=float(rng.uniform(4, 16)),
                       r_min=float(rng.uniform(8, 14)), r_max=r_max, half_angle=float(np.radians(rng.uniform(34, 40))))
        depth = float(rng.uniform(0.5, 0.66))
        place = scene.Placement(cx=fan.apex_x + float(rng.uniform(-22, 22)), cy=fan.apex_y + r_max * depth,
                                scale=float(rng.uniform(56, 70)), angle=float(np.radians(rng.uniform(-14, 14))))
        return Pose(fan=fan, place=place, gain=float(rng.uniform(0.8, 1.25)) * gain_habit,
                    attenuation=float(rng.uniform(1.0, 2.2)), tgc=float(rng.uniform(0.5, 1.6)),
                    dynamic_range_db=float(rng.uniform(38, 48)), noise_floor=float(rng.uniform(0.006, 0.014)),
                    depth_cm=float(rng.uniform(9, 14)))


@dataclass
class SimFrame:
    image: np.ndarray  # uint8 BGR (480, 640, 3)
    label: str
    severity: float
    in_plane: bool
    lip_box: tuple[int, int, int, int] | None  # x0, y0, x1, y1 in image pixels; None when off-plane
    meta: dict = field(default_factory=dict)


def echogenicity(label: str, anatomy: scene.Anatomy, pose: Pose, rng: np.random.Generator,
                 off_plane_kind: str | None = None, lip_visibility: float = 1.0,
                 texture: np.ndarray | None = None, hard: clinical.Clinical | None = None) -> np.ndarray:
    """The scene's echogenicity map; `hard` adds clinical difficulty (look-alikes, near-plane, notches)."""
    canvas = np.full((CANVAS_H, CANVAS_W), scene.FLUID, np.float32)
    if label == "off_plane":
        scene.draw_off_plane(canvas, off_plane_kind or str(rng.choice(OFF_PLANE_KINDS)), pose.place, rng)
    elif hard is None:
        scene.draw_face(canvas, anatomy, pose.place, rng, lip_visibility)
    else:
        vis = min(lip_visibility, hard.lip_visibility)
        scene.draw_face(canvas, replace(anatomy, cleft="none"), pose.place, rng, vis)
        clinical.draw_cleft(canvas, anatomy, pose.place, vis)
    if hard is not None:
        for o in hard.occluders:
            clinical.draw_occluder(canvas, o, pose.place)
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.8)
    return canvas * (scene.tissue_texture(rng, CANVAS_H, CANVAS_W) if texture is None else texture)


def bmode(echo: np.ndarray, pose: Pose, rng: np.random.Generator, noise: np.ndarray | None = None,
          shadow: np.ndarray | None = None, hard: clinical.Clinical | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Echogenicity -> grey B-mode image (half resolution, uint8) and the fan mask."""
    map_beam, map_depth, inside, r = pose.fan.maps(CANVAS_H, CANVAS_W)
    noise = beam.complex_noise(rng) if noise is None else noise
    shadow = beam.shadows(rng, int(rng.integers(0, 3))) if shadow is None else shadow
    if hard is None:
        field_ = beam.speckle_from_noise(noise) * shadow
    else:
        field_ = beam.speckle_from_noise(noise, lateral=1.7 * clinical.focus_blur(hard.fired)) * shadow
        transmission = clinical.beam_field(hard, pose.fan, pose.place)
        field_ = field_ if transmission is None else field_ * transmission
        bands = clinical.reverberation(hard, pose.fan, r)
        echo = echo if bands is None else echo + bands
    speckle = beam.scan_convert(field_, map_beam, map_depth)
    depth = np.clip((r - pose.fan.r_min) / (pose.fan.r_max - pose.fan.r_min), 0, 1)
    gain = pose.gain * np.exp((pose.tgc - pose.attenuation) * depth)
    amp = echo * speckle * gain + pose.noise_floor * (1.0 + np.abs(rng.standard_normal(echo.shape, np.float32)))
    db = 20.0 * np.log10(np.maximum(amp, 1e-6))
    grey = np.clip((db + pose.dynamic_range_db) / pose.dynamic_range_db, 0.0, 1.0) * 255.0
    grey[~inside] = 0.0
    return grey.astype(np.uint8), inside


def compose(grey_half: np.ndarray, inside: np.ndarray, site: str, pose: Pose,
            rng: np.random.Generator) -> np.ndarray:
    """The full-size BGR frame (480x640): the half-resolution grey image scaled up, with the site's vendor overlays
    drawn outside the fan."""
    grey = cv2.resize(grey_half, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    ys, xs = np.nonzero(inside)
    fan_box = (int(xs.min()) * 2, int(ys.min()) * 2, int(xs.max()) * 2 + 2, int(ys.max()) * 2 + 2)
    draw_overlays(img, site, rng, pose.depth_cm, pose.gain, fan_box)
    return img


def lip_box(anatomy: scene.Anatomy, place: scene.Placement) -> tuple[int, int, int, int]:
    """The upper lip's box (x0, y0, x1, y1) in image pixels, clipped to the image."""
    corners = place.to_canvas(scene.lip_region(anatomy)) * 2  # canvas -> image pixels
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    return (max(0, int(x0)), max(0, int(y0)), min(WIDTH, int(x1)), min(HEIGHT, int(y1)))


@dataclass(frozen=True)
class Conditions:
    """How a frame is scanned apart from the pose: the cart (site), the difficulty and, for the clinical
    difficulty, the effects (`hard`; None: drawn from the frame's rng)."""

    site: str = "site-A"
    difficulty: str = "standard"
    hard: clinical.Clinical | None = None


STANDARD = Conditions()


def render_frame(label: str, severity: float, rng: np.random.Generator, anatomy: scene.Anatomy | None = None,
                 pose: Pose | None = None, conditions: Conditions = STANDARD,
                 off_plane_kind: str | None = None) -> SimFrame:
    """One frame of the given data-set label. Anatomy (per case) and pose (per frame) are drawn from
    rng unless given. The clinical difficulty (`conditions`) adds the effects of clinical.EFFECTS, drawn
    from rng unless `conditions.hard` gives them (standard draws nothing extra, so its frames are as before)."""
    site, difficulty, hard = conditions.site, conditions.difficulty, conditions.hard
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    if difficulty not in clinical.DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}")
    cleft = _CLEFT_OF_LABEL[label]
    if anatomy is None:
        anatomy = scene.Anatomy.sample(rng, cleft, severity if cleft != "none" else 0.0)
    pose = pose or Pose.sample(rng, STYLES.get(site, STYLES["site-A"]).gain_habit)
    if difficulty == "clinical":
        hard = hard or clinical.sample(rng)
        pose = clinical.adjust_pose(pose, hard.fired, rng)
    else:
        hard = None
    echo = echogenicity(label, anatomy, pose, rng, off_plane_kind, hard=hard)
    grey, inside = bmode(echo, pose, rng, hard=hard)
    if hard is not None:
        grey = clinical.process_image(grey, inside, hard, site)[0]
    image = compose(grey, inside, site, pose, rng)
    in_plane = label != "off_plane"
    meta = {"site": site, "gain": pose.gain, "depth_cm": pose.depth_cm}
    if hard is not None:
        meta["effects"] = sorted(hard.fired)
    return SimFrame(image=image, label=label, severity=anatomy.severity if in_plane else 0.0, in_plane=in_plane,
                    lip_box=lip_box(anatomy, pose.place) if in_plane else None, meta=meta)
