"""Helpers for the alert-tuning tests."""

import shutil


def copy_sweep(src_video, dst_dir, stem):
    """A renamed copy of a sweep (video and labels)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(src_video, dst_dir / f"{stem}{src_video.suffix}")
    shutil.copy(src_video.with_name(src_video.stem + ".labels.csv"), dst_dir / f"{stem}.labels.csv")
    return dst_dir / f"{stem}{src_video.suffix}"
