"""Clinical difficulty: what makes real scans of the fetal lip hard, one table row per effect.

`standard` difficulty never calls into this module, so its frames, sets and the standard reference
model stay as they were. `clinical` draws every effect of EFFECTS for every frame (a fixed number of
random draws, so frames stay deterministic by seed): it fires with its probability and, when it does,
with a strength drawn from its range. Nothing here depends on the label except the cleft itself
(`draw_cleft`): occluders and look-alikes are as likely in front of a normal lip as of a cleft one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from cleftedge.simulator import beam, scene

DIFFICULTIES = ("standard", "clinical")


@dataclass(frozen=True)
class Effect:
    name: str
    group: str  # window | look-alike | artefact | cleft
    probability: float  # per frame (per case for `subtle`)
    strength: tuple[float, float]  # drawn uniformly when the effect fires
    what: str


EFFECTS = {e.name: e for e in (
    Effect("habitus", "window", 0.30, (0.3, 1.0), "maternal habitus: stronger attenuation, a higher noise floor "
           "(lower SNR) and a deeper, wider focus (blurrier lip)"),
    Effect("gain_tgc", "window", 0.30, (0.3, 1.0), "gain and time-gain compensation misadjusted, up or down"),
    Effect("contact_loss", "window", 0.05, (0.3, 1.0), "probe contact loss: one or two dark sectors of beams"),
    Effect("hand", "look-alike", 0.03, (0.4, 1.0), "a fetal hand against the face: fingers with fluid gaps "
           "and bright bone edges across the lip"),
    Effect("cord", "look-alike", 0.04, (0.4, 1.0), "the umbilical cord against the face: a tube with bright "
           "walls and a fluid rim crossing the lip line"),
    Effect("placenta", "look-alike", 0.04, (0.4, 1.0), "the placenta pressed against one side of the face, "
           "a fluid cleft between the two"),
    Effect("mouth", "look-alike", 0.07, (0.3, 1.0), "an open mouth with the tongue rising to the upper lip"),
    Effect("pseudo_cleft", "look-alike", 0.04, (0.3, 1.0), "the philtrum deepened in an oblique plane: a dark "
           "notch in the lip line beside the midline"),
    Effect("limb_shadow", "artefact", 0.05, (0.4, 1.0), "a limb above the lip: a bright bone echo and the "
           "acoustic shadow it casts across the lip"),
    Effect("reverberation", "artefact", 0.14, (0.3, 1.0), "reverberation: bright bands parallel to the probe "
           "face repeating with depth"),
    Effect("motion_blur", "artefact", 0.15, (0.3, 1.0), "motion blur along a random direction"),
    Effect("persistence", "artefact", 0.30, (0.3, 1.0), "persistence (frame averaging) with a slightly moved "
           "earlier frame: ghosted edges"),
    Effect("near_plane", "cleft", 0.08, (0.3, 1.0), "near-plane views: the lip (and any cleft) only partly in "
           "the plane, faded by the strength"),
    Effect("subtle", "cleft", 0.15, (0.05, 0.35), "per cleft case: severity drawn in the subtle band, down to "
           "0.05 (a notch of the vermilion, not a gap)"),
)}
LOOK_ALIKES = ("hand", "cord", "placenta", "mouth", "pseudo_cleft", "limb_shadow")
NOTCH_BELOW = 0.2  # clefts below this severity notch the lip line instead of cutting through it


@dataclass(frozen=True)
class SiteChain:
    """A site's own image processing after log compression (vendor presets differ per site)."""

    speckle_reduction: str  # none | bilateral | median | gaussian
    edge: float  # unsharp-mask amount
    gamma: float  # grey map: out = in ** gamma
    contrast: float  # S-curve strength of the grey map (0 = linear)


SITE_CHAINS = {
    "site-A": SiteChain("bilateral", 0.0, 0.85, 0.0),
    "site-B": SiteChain("median", 0.6, 1.15, 0.3),
    "site-C": SiteChain("gaussian", 0.0, 0.75, -0.2),
    "site-D": SiteChain("none", 1.0, 1.0, 0.5),
}


@dataclass(frozen=True)
class Occluder:
    """A look-alike in face units: its kind, where it is, how strong; shape_seed fixes its shape, so a
    sweep moves one hand or cord from frame to frame instead of drawing a new one."""

    kind: str
    u: float
    v: float
    angle: float
    strength: float
    shape_seed: int


@dataclass(frozen=True)
class Clinical:
    """Everything clinical difficulty adds to one frame."""

    fired: dict  # effect name -> strength, for the effects that fired
    occluders: tuple[Occluder, ...]
    lip_visibility: float
    contact: tuple[tuple[float, float, float], ...]  # (beam centre, width in beams, transmission)
    blur: tuple[float, float]  # (length in half-resolution pixels, angle); length 0 = none
    persistence: tuple[float, int, int]  # (weight of the earlier frame, dx, dy)
    reverberation: tuple[float, float]  # (amplitude, band spacing in canvas pixels)


def draw_effects(rng: np.random.Generator) -> dict:
    """Every effect drawn once (same number of draws each time): name -> strength or None."""
    out = {}
    for e in EFFECTS.values():
        fires, strength = rng.random() < e.probability, float(rng.uniform(*e.strength))
        out[e.name] = strength if fires else None
    return out


def occluder(kind: str, strength: float, rng: np.random.Generator) -> Occluder:
    """A look-alike placed near the upper lip (v about -0.2 in face units)."""
    u = float(rng.uniform(-0.45, 0.45))
    v = float(rng.uniform(-0.32, -0.08))
    return Occluder(kind, u, v, float(rng.uniform(-0.6, 0.6)), strength, int(rng.integers(1 << 31)))


def sample(rng: np.random.Generator) -> Clinical:
    """One frame's clinical effects (a fixed number of draws)."""
    drawn = draw_effects(rng)
    occ_rng = np.random.default_rng(int(rng.integers(1 << 31)))
    occluders = tuple(occluder(k, drawn[k], occ_rng) for k in LOOK_ALIKES if drawn[k] is not None)
    aux = rng.random(8)
    contact = ()
    if drawn["contact_loss"] is not None:
        s = drawn["contact_loss"]
        contact = tuple((float(aux[i] * beam.N_BEAMS), 6 + 22 * s * aux[i + 2], 0.25 - 0.22 * s)
                        for i in range(1 + int(aux[4] < 0.4)))
    blur = (2 + 7 * drawn["motion_blur"], float(aux[5] * np.pi)) if drawn["motion_blur"] is not None else (0.0, 0.0)
    persistence = (0.0, 0, 0)
    if drawn["persistence"] is not None:
        persistence = (0.2 + 0.35 * drawn["persistence"], int(aux[6] * 7) - 3, int(aux[7] * 5) - 2)
    rev = drawn["reverberation"]
    reverberation = (0.06 + 0.2 * rev, 24 + 20 * float(aux[3])) if rev is not None else (0.0, 0.0)
    near = drawn["near_plane"]
    # `subtle` is drawn per frame to keep the draws fixed but acts per case (subtle_severity): not listed
    fired = {k: v for k, v in drawn.items() if v is not None and k != "subtle"}
    return Clinical(fired, occluders, 1.0 - 0.8 * near if near is not None else 1.0, contact, blur, persistence,
                    reverberation)


def only(name: str, strength: float, rng: np.random.Generator | None = None) -> Clinical:
    """Clinical difficulty with just one effect at a given strength (for pictures and tests)."""
    rng = rng or np.random.default_rng(0)
    if name not in EFFECTS or name == "subtle":
        raise ValueError(f"no per-frame effect {name!r}")
    occluders = (occluder(name, strength, rng),) if name in LOOK_ALIKES else ()
    return Clinical(
        {name: strength}, occluders, 1.0 - 0.8 * strength if name == "near_plane" else 1.0,
        ((beam.N_BEAMS * 0.45, 6 + 22 * strength, 0.25 - 0.22 * strength),) if name == "contact_loss" else (),
        (2 + 7 * strength, 0.3) if name == "motion_blur" else (0.0, 0.0),
        (0.2 + 0.35 * strength, 3, 2) if name == "persistence" else (0.0, 0, 0),
        (0.06 + 0.2 * strength, 34.0) if name == "reverberation" else (0.0, 0.0))


def subtle_severity(rng: np.random.Generator) -> float:
    """A cleft case's severity at clinical difficulty: the subtle band with its probability."""
    e = EFFECTS["subtle"]
    subtle, low, high = rng.random() < e.probability, float(rng.uniform(*e.strength)), float(rng.uniform(0.35, 1.0))
    return low if subtle else high


def adjust_pose(pose, fired: dict, rng: np.random.Generator):
    """The scanner settings a poor window and a misadjusted console give (fixed number of draws)."""
    draws = rng.random(3)
    sign, sign_tgc, hab_focus = (1.0 if draws[0] < 0.5 else -1.0), (1.0 if draws[1] < 0.5 else -1.0), draws[2]
    gain, tgc, att, floor = pose.gain, pose.tgc, pose.attenuation, pose.noise_floor
    if "habitus" in fired:
        s = fired["habitus"]
        att, floor = att + 1.6 * s, floor * (1.0 + 3.0 * s)
        tgc = tgc + 0.6 * s * hab_focus  # the sonographer turns the far gain up, partly
    if "gain_tgc" in fired:
        s = fired["gain_tgc"]
        gain, tgc = gain * float(np.exp(sign * 0.8 * s)), tgc + sign_tgc * 1.2 * s
    return replace(pose, gain=gain, tgc=tgc, attenuation=att, noise_floor=floor)


def focus_blur(fired: dict) -> float:
    """Extra lateral point-spread width (factor) from a deep, wide focus under maternal habitus."""
    return 1.0 + 0.9 * fired.get("habitus", 0.0)


# --- scene: look-alikes and the cleft -------------------------------------------------------------

def _local(o: Occluder, pts) -> np.ndarray:
    """Occluder-local points (face units) rotated and moved to the occluder's place."""
    p = np.asarray(pts, np.float32)
    c, s = np.cos(o.angle), np.sin(o.angle)
    return np.stack([o.u + c * p[:, 0] - s * p[:, 1], o.v + s * p[:, 0] + c * p[:, 1]], axis=1)


def _ell(cx, cy, rx, ry, n=32):
    return scene._ellipse_pts(cx, cy, rx, ry, n=n)


def draw_occluder(canvas: np.ndarray, o: Occluder, place: scene.Placement) -> None:
    """Draw one look-alike onto the echogenicity canvas (in place)."""
    r = np.random.default_rng(o.shape_seed)
    s = o.strength
    F, T, S = scene.FLUID, scene.TISSUE, scene.SKIN
    if o.kind == "hand":  # fingers side by side, fluid between them and the face
        n = int(r.integers(3, 6))
        gap, width, length = r.uniform(0.1, 0.14), r.uniform(0.035, 0.05), r.uniform(0.3, 0.45)
        span = (n - 1) * gap
        scene._fill(canvas, place, _local(o, [(-span / 2 - 0.08, -length), (span / 2 + 0.08, -length),
                                              (span / 2 + 0.08, length * 0.6), (-span / 2 - 0.08, length * 0.6)]),
                    F + (T - F) * (1 - s))
        for k in range(n):
            x = -span / 2 + k * gap
            ln = length * r.uniform(0.8, 1.1)
            scene._fill(canvas, place, _local(o, _ell(x, -ln / 2 + 0.1, width, ln / 2)), T * 1.3)
            scene._line(canvas, place, _local(o, [(x, -ln + 0.15), (x, 0.05)]), S * (0.4 + 0.5 * s), 0.025)
    elif o.kind == "cord":  # a wavy tube with a fluid rim, bright walls and two dark vessels
        t = np.linspace(-0.6, 0.6, 24)
        phase, amp = r.uniform(0, 2 * np.pi), r.uniform(0.03, 0.08)
        centre = np.stack([amp * np.sin(4 * t + phase), t], axis=1)
        w = r.uniform(0.08, 0.13)
        scene._line(canvas, place, _local(o, centre), F + (T - F) * (1 - s), w + 0.07)
        scene._line(canvas, place, _local(o, centre), S * (0.35 + 0.45 * s), w)
        scene._line(canvas, place, _local(o, centre), T * 0.7, w * 0.75)
        for side in (-1, 1):
            scene._line(canvas, place, _local(o, centre + [side * w * 0.18, 0]), F * 2, w * 0.2)
    elif o.kind == "placenta":  # a thick granular band pushed against one side
        side = 1.0 if r.random() < 0.5 else -1.0
        x0 = side * (0.35 + 0.25 * (1 - s))
        band = [(x0, -0.9), (x0 + side * 1.2, -0.9), (x0 + side * 1.2, 0.6), (x0, 0.6)]
        scene._fill(canvas, place, _local(replace(o, u=0.0), band), T * 1.5)
        scene._line(canvas, place, _local(replace(o, u=0.0), [(x0 - side * 0.02, -0.9), (x0 - side * 0.02, 0.6)]),
                    F, 0.03 + 0.03 * s)
    elif o.kind == "mouth":  # the mouth opens up to the upper lip; the tongue rises against it
        cav = 0.04 + 0.08 * s
        cu = o.u * 0.3
        scene._fill(canvas, place, _ell(cu, -0.06 + cav, 0.32, 0.1 + cav), F)
        tongue = (cu + r.uniform(-0.12, 0.12), -0.04 + cav, 0.17, 0.08 + cav * 0.5)
        scene._fill(canvas, place, _ell(*tongue), T * 1.2)
        scene._line(canvas, place, _ell(tongue[0], tongue[1], tongue[2] + 0.01, tongue[3] + 0.01), S * 0.5 * s, 0.02)
    elif o.kind == "pseudo_cleft":  # a dark notch in the lip line beside the midline, dim margins
        u0 = float(np.sign(o.u) or 1.0) * r.uniform(0.04, 0.3)
        v_lip = -0.2
        half = 0.03 + 0.05 * s
        top = v_lip - 0.03 - 0.12 * s
        gap = [(u0 - half, v_lip + 0.06), (u0 + half, v_lip + 0.06), (u0 + half * 0.45, top),
               (u0 - half * 0.45, top)]
        scene._fill(canvas, place, gap, F + (T - F) * (1 - s) * 0.8)
        for side in (-1, 1):
            scene._line(canvas, place, [(u0 + side * half, v_lip + 0.06), (u0 + side * half * 0.45, top)],
                        S * 0.6 * s, 0.03)
    elif o.kind == "limb_shadow":  # a forearm above the lip; its shadow is cast in beam space
        scene._line(canvas, place, _local(o, [(-0.35, -0.25), (0.35, -0.25)]), T * 1.3, 0.1)
        scene._line(canvas, place, _local(o, [(-0.32, -0.27), (0.32, -0.27)]), S * (0.6 + 0.4 * s), 0.035)


def draw_cleft(canvas: np.ndarray, a: scene.Anatomy, place: scene.Placement, vis: float) -> None:
    """The cleft at clinical difficulty: as at standard difficulty from NOTCH_BELOW up; below it a
    notch of the vermilion that interrupts only the lower part of the lip line."""
    if a.cleft == "none" or vis <= 0:
        return
    sides = {"left": (-1,), "right": (1,), "both": (-1, 1)}[a.cleft]
    lip = scene.upper_lip_curve(a)
    for side in sides:
        if a.severity >= NOTCH_BELOW:
            scene._cleft(canvas, a, place, side, vis)
            continue
        u0 = side * a.cleft_pos
        v_lip = float(np.interp(u0, lip[:, 0], lip[:, 1]))
        half = 0.025 + 0.2 * a.severity
        depth = a.lip_thickness * (0.4 + 3.0 * a.severity)  # how far up into the lip line the notch reaches
        bottom = v_lip + a.lip_thickness * 0.9
        gap = [(u0 - half, bottom), (u0 + half, bottom), (u0 + half * 0.3, bottom - depth),
               (u0 - half * 0.3, bottom - depth)]
        scene._fill(canvas, place, gap, scene.FLUID + (scene.TISSUE - scene.FLUID) * (1 - vis))


def lip_centre(a: scene.Anatomy, place: scene.Placement) -> tuple[float, float]:
    """Canvas (x, y) of the upper lip's centre for the face placed at `place`."""
    return tuple(place.to_canvas(np.array([[0.0, -0.2]], np.float32))[0])


# --- beam space: contact loss and limb shadows ----------------------------------------------------

def beam_field(c: Clinical, fan: beam.Fan, place: scene.Placement) -> np.ndarray | None:
    """Beam-space transmission (depth x beam) for contact loss and limb shadows, or None."""
    shadows = [o for o in c.occluders if o.kind == "limb_shadow"]
    if not c.contact and not shadows:
        return None
    field = np.ones((beam.N_DEPTH, beam.N_BEAMS), np.float32)
    beams = np.arange(beam.N_BEAMS, dtype=np.float32)
    for centre, width, trans in c.contact:
        field *= 1.0 - (1.0 - trans) * np.exp(-(((beams - centre) / (width / 2)) ** 6))[None, :]
    for o in shadows:
        x, y = place.to_canvas(np.array([[o.u, o.v - 0.25]], np.float32))[0]
        theta = np.arctan2(x - fan.apex_x, y - fan.apex_y)
        b = (theta + fan.half_angle) / (2 * fan.half_angle) * (beam.N_BEAMS - 1)
        d = (np.hypot(x - fan.apex_x, y - fan.apex_y) - fan.r_min) / (fan.r_max - fan.r_min) * (beam.N_DEPTH - 1)
        width = (0.5 * place.scale) / max(np.hypot(x - fan.apex_x, y - fan.apex_y), 1.0) / (2 * fan.half_angle) * \
            (beam.N_BEAMS - 1)
        d0 = int(np.clip(d + 3, 0, beam.N_DEPTH - 1))
        field[d0:] *= (1.0 - (0.9 * o.strength) * np.exp(-(((beams - b) / max(width / 2, 1.0)) ** 4)))[None, :]
    return cv2.GaussianBlur(field, (0, 0), 1.2)


def reverberation(c: Clinical, fan: beam.Fan, r: np.ndarray) -> np.ndarray | None:
    """Additive echo bands at multiples of a shallow interface's depth, fading with each repeat."""
    amp, spacing = c.reverberation
    if amp <= 0:
        return None
    depth = r - fan.r_min
    out = np.zeros_like(r, dtype=np.float32)
    for k in range(1, 7):
        out += (amp * 0.8 ** (k - 1)) * np.exp(-(((depth - k * spacing) / 2.5) ** 2)).astype(np.float32)
    return out


# --- the image: site chain, motion blur, persistence ----------------------------------------------

def _site_chain(grey: np.ndarray, chain: SiteChain) -> np.ndarray:
    g = grey
    if chain.speckle_reduction == "bilateral":
        g = cv2.bilateralFilter(g, 5, 40, 3)
    elif chain.speckle_reduction == "median":
        g = cv2.medianBlur(g, 3)
    elif chain.speckle_reduction == "gaussian":
        g = cv2.GaussianBlur(g, (0, 0), 1.1)
    x = g.astype(np.float32) / 255.0
    if chain.edge:
        x = x + chain.edge * (x - cv2.GaussianBlur(x, (0, 0), 1.5))
    x = np.clip(x, 0.0, 1.0) ** chain.gamma
    if chain.contrast:
        x = x + chain.contrast * x * (1 - x) * (2 * x - 1) * 2  # S-curve (negative: flattened)
    return np.clip(x * 255.0, 0, 255)


def motion_blur(grey: np.ndarray, length: float, angle: float) -> np.ndarray:
    """`grey` blurred along a line of `length` pixels at `angle` (radians), as a probe moving during the frame blurs
    it."""
    n = max(3, int(round(length)) | 1)
    k = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = np.cos(angle) * c, np.sin(angle) * c
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
    return cv2.filter2D(grey, -1, k / k.sum())


def process_image(grey: np.ndarray, inside: np.ndarray, c: Clinical, site: str,
                  earlier: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Half-resolution grey (uint8) -> (the image the cart shows, uint8; the averaged frame before the
    site chain, float, which a sweep hands back as `earlier`): motion blur, persistence (with the
    real earlier frame in sweeps, a moved copy for single frames), the site's chain; black outside."""
    g = grey.astype(np.float32)
    if c.blur[0] > 0:
        g = motion_blur(g, *c.blur)
    weight, dx, dy = c.persistence
    if weight > 0:
        prev = earlier if earlier is not None and earlier.shape == g.shape else np.roll(g, (dy, dx), axis=(0, 1))
        g = (1 - weight) * g + weight * prev
    out = _site_chain(np.clip(g, 0, 255).astype(np.uint8), SITE_CHAINS.get(site, SITE_CHAINS["site-A"]))
    out[~inside] = 0.0
    return out.astype(np.uint8), g


# --- sweeps: look-alikes that stay for a while and move --------------------------------------------

@dataclass(frozen=True)
class Episode:
    """A look-alike (or a contact loss) present from frame `start` for `frames` frames, drifting."""

    occluder: Occluder
    start: int
    frames: int
    velocity: tuple[float, float, float]  # face units (u, v) and radians per second


EPISODE_EVERY_S = 5.0  # mean gap between look-alike episodes in a sweep
EPISODE_SECONDS = (0.3, 3.0)


def sweep_episodes(n_frames: int, fps: float, rng: np.random.Generator) -> tuple[Episode, ...]:
    """Look-alike episodes over a sweep: a Poisson process of starts, each lasting 0.3-3 s, its kind
    drawn in proportion to the effects' per-frame probabilities."""
    kinds = list(LOOK_ALIKES) + ["contact_loss"]
    weights = np.array([EFFECTS[k].probability for k in kinds])
    out, t = [], float(rng.exponential(EPISODE_EVERY_S))
    while t * fps < n_frames:
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        strength = float(rng.uniform(*EFFECTS[kind].strength))
        seconds = float(rng.uniform(*EPISODE_SECONDS))
        if kind == "contact_loss":
            seconds = min(seconds, 1.0)
        vel = (float(rng.normal(0, 0.08)), float(rng.normal(0, 0.04)), float(rng.normal(0, 0.15)))
        out.append(Episode(occluder(kind, strength, rng), int(t * fps), max(1, int(seconds * fps)), vel))
        t += seconds + float(rng.exponential(EPISODE_EVERY_S))
    return tuple(out)


@dataclass(frozen=True)
class SweepHard:
    """What clinical difficulty fixes for a whole sweep."""

    fired: dict  # sweep-long effects (habitus, gain_tgc, reverberation, persistence) -> strength
    episodes: tuple[Episode, ...]
    reverberation: tuple[float, float]
    persistence: float


def sample_sweep(n_frames: int, fps: float, rng: np.random.Generator) -> SweepHard:
    """The clinical effects of one sweep of `n_frames` at `fps`: the effects that last the whole sweep (habitus, gain
    and TGC, reverberation, persistence) and the episodes that come and go."""
    drawn = draw_effects(rng)
    keep = ("habitus", "gain_tgc", "reverberation", "persistence")
    fired = {k: drawn[k] for k in keep if drawn[k] is not None}
    rev = (0.06 + 0.2 * fired["reverberation"], float(rng.uniform(24, 44))) if "reverberation" in fired else (0, 0)
    return SweepHard(fired, sweep_episodes(n_frames, fps, rng), rev, 0.2 + 0.35 * fired.get("persistence", 0.0)
                     if "persistence" in fired else 0.0)


def sweep_frame(sh: SweepHard, index: int, fps: float, probe_speed: float) -> Clinical:
    """Frame `index` of a clinical sweep: the episodes active now at their moved places; motion blur
    follows the probe's speed (plane offset per frame)."""
    occluders, contact = [], []
    for ep in sh.episodes:
        if not ep.start <= index < ep.start + ep.frames:
            continue
        t = (index - ep.start) / fps
        o = ep.occluder
        if o.kind == "contact_loss":
            centre = (o.u + 0.5) * beam.N_BEAMS + 20 * ep.velocity[0] * t
            contact.append((centre, 6 + 22 * o.strength, 0.25 - 0.22 * o.strength))
            continue
        du, dv, da = ep.velocity
        occluders.append(replace(o, u=o.u + du * t + 0.02 * np.sin(2.1 * t), v=o.v + dv * t, angle=o.angle + da * t))
    length = min(9.0, 120.0 * probe_speed)
    fired = dict(sh.fired)
    fired.update({o.kind: o.strength for o in occluders})
    return Clinical(fired, tuple(occluders), 1.0, tuple(contact), (length if length >= 2 else 0.0, np.pi / 2),
                    (sh.persistence, 0, 0), sh.reverberation)
