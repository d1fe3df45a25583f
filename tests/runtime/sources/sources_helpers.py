"""Write real DICOM files in each photometric interpretation (pydicom + pillow)."""

import io

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, UltrasoundMultiFrameImageStorage, generate_uid


def _base(frames, rows, cols, syntax=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    return ds


def write_mono(path, frames: np.ndarray, photometric="MONOCHROME2", bits=8, window=None, frame_time_ms=None,
               **extra):
    n, rows, cols = frames.shape
    ds = _base(n, rows, cols)
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if frame_time_ms:
        ds.FrameTime = frame_time_ms
    for key, value in extra.items():  # e.g. FrameTimeVector, CineRate, RescaleSlope
        setattr(ds, key, value)
    ds.PixelData = frames.astype(np.uint8 if bits == 8 else np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def rgb_to_ybr_full(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2 YBR_FULL from RGB (uint8, rounded)."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.clip(np.stack([y, cb, cr], -1).round(), 0, 255).astype(np.uint8)


def write_ybr422_native(path, frames_rgb: np.ndarray):
    """Uncompressed YBR_FULL_422: each pair of pixels stored as Y1 Y2 Cb Cr (chroma averaged)."""
    n, rows, cols, _ = frames_rgb.shape
    ybr = rgb_to_ybr_full(frames_rgb).astype(np.float64)
    y = ybr[..., 0].reshape(n, rows, cols // 2, 2)
    cb = ybr[..., 1].reshape(n, rows, cols // 2, 2).mean(-1, keepdims=True)
    cr = ybr[..., 2].reshape(n, rows, cols // 2, 2).mean(-1, keepdims=True)
    packed = np.concatenate([y, cb, cr], -1).round().astype(np.uint8)
    ds = _base(n, rows, cols)
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = packed.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def write_rgb(path, frames: np.ndarray, planar=0, photometric="RGB", cine_rate=None):
    """frames: (n, rows, cols, 3) uint8 in the photometric's own channel order."""
    n, rows, cols, _ = frames.shape
    ds = _base(n, rows, cols)
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = planar
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if cine_rate:
        ds.CineRate = cine_rate
    data = frames.transpose(0, 3, 1, 2) if planar == 1 else frames
    ds.PixelData = np.ascontiguousarray(data).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def write_jpeg_ybr422(path, frames_rgb: np.ndarray, fps=25, subsampling=1, photometric="YBR_FULL_422"):
    """Multi-frame JPEG baseline, YBR_FULL_422, as ultrasound carts write cine loops
    (subsampling=0 with YBR_FULL gives 4:4:4 JPEG frames)."""
    n, rows, cols, _ = frames_rgb.shape
    ds = _base(n, rows, cols, JPEGBaseline8Bit)
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.RecommendedDisplayFrameRate = fps
    encoded = []
    for f in frames_rgb:
        buf = io.BytesIO()
        Image.fromarray(f, "RGB").save(buf, format="JPEG", quality=95, subsampling=subsampling)  # 1 = 4:2:2
        encoded.append(buf.getvalue())
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


def write_palette(path, index: np.ndarray, lut_rgb: np.ndarray):
    """index: (rows, cols) uint8; lut_rgb: (256, 3) uint8."""
    rows, cols = index.shape
    ds = _base(1, rows, cols)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    for i, name in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{name}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(ds, f"{name}PaletteColorLookupTableData", (lut_rgb[:, i].astype(np.uint16) * 257).tobytes())
    ds.PixelData = index.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
