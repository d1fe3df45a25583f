"""The cart side: preprocessing, backends, frame sources, the streaming pipeline, alerts, metrics.

Imports nothing from cleftedge.export, cleftedge.calibration or torch.
"""
