"""Build-host side of INT8: data sets, calibration subsets, one recipe per target, the TensorRT
Q/DQ rules checker, layer diagnosis, and the parity QA gate (calibration.qa)."""
