"""The reference model: a small CNN trained on simulator frames. NOT FOR CLINICAL USE.

It exists to exercise the toolchain (export, calibration, QA, bundles, runtime) end to end.
"""
