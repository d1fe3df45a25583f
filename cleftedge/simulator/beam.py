"""Sector (fan) geometry and beam-space speckle.

Speckle is made in beam coordinates (depth x beam line) so that its grains are longer across the
beam than along it and follow the fan, then scan-converted into the image with cv2.remap.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

N_DEPTH = 200  # samples along each beam
N_BEAMS = 128  # beam lines across the fan


@dataclass(frozen=True)
class Fan:
    apex_x: float
    apex_y: float
    r_min: float
    r_max: float
    half_angle: float  # radians

    def maps(self, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(map_beam, map_depth, inside mask, radius) for an h x w canvas (cached: a sweep keeps its fan)."""
        return _maps(self, h, w)


@functools.lru_cache(maxsize=4)
def _maps(fan: Fan, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xs - fan.apex_x, ys - fan.apex_y
    r = np.sqrt(dx * dx + dy * dy)
    theta = np.arctan2(dx, dy)
    map_depth = (r - fan.r_min) / (fan.r_max - fan.r_min) * (N_DEPTH - 1)
    map_beam = (theta + fan.half_angle) / (2 * fan.half_angle) * (N_BEAMS - 1)
    inside = (r >= fan.r_min) & (r <= fan.r_max) & (np.abs(theta) <= fan.half_angle)
    return map_beam.astype(np.float32), map_depth.astype(np.float32), inside, r


def complex_noise(rng: np.random.Generator) -> np.ndarray:
    """Fresh complex Gaussian noise in beam space, (2, N_DEPTH, N_BEAMS) float32 (real and imaginary parts): what
    speckle is made of."""
    return rng.standard_normal((2, N_DEPTH, N_BEAMS)).astype(np.float32)


def speckle_from_noise(noise: np.ndarray, lateral: float = 1.7, axial: float = 0.7) -> np.ndarray:
    """Rayleigh speckle (mean 1) from complex Gaussian noise filtered by an anisotropic PSF."""
    re = cv2.GaussianBlur(noise[0], (0, 0), sigmaX=lateral, sigmaY=axial)
    im = cv2.GaussianBlur(noise[1], (0, 0), sigmaX=lateral, sigmaY=axial)
    mag = np.sqrt(re * re + im * im)
    return mag / max(float(mag.mean()), 1e-6)


def shadows(rng: np.random.Generator, count: int) -> np.ndarray:
    """Beam-space attenuation: acoustic shadows are dark stripes along beams below a depth."""
    field = np.ones((N_DEPTH, N_BEAMS), np.float32)
    for _ in range(count):
        a0 = int(rng.integers(0, N_BEAMS - 8))
        width = int(rng.integers(3, 12))
        d0 = int(rng.integers(N_DEPTH // 4, N_DEPTH - 20))
        field[d0:, a0:a0 + width] *= float(rng.uniform(0.15, 0.45))
    return cv2.GaussianBlur(field, (0, 0), 1.5)


def scan_convert(beam_image: np.ndarray, map_beam: np.ndarray, map_depth: np.ndarray) -> np.ndarray:
    """A beam-space image (depth x beam) resampled onto the canvas through the fan's maps (black outside the fan)."""
    return cv2.remap(beam_image, map_beam, map_depth, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=0)
