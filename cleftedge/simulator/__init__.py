"""A scan simulator: synthetic B-mode frames of the fetal face in the coronal nose-lip view, with
ground-truth labels. For tests, demos, benchmarks and the reference model; not clinical data."""
