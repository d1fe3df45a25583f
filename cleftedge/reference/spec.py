"""The reference model's spec: how the runtime feeds it and reads it."""

from cleftedge.spec import InputSpec, ModelSpec, OutputSpec

INPUT_NAME = "frames"
LOGITS_NAME = "logits"
HEATMAP_NAME = "heatmap"
HEIGHT, WIDTH = 128, 160  # the fan's box is wider than tall; stretch keeps its aspect closely
# The shipped reference models, one per simulator difficulty: (weights, metrics, model name)
SHIPPED = {"standard": ("reference.pt", "metrics.json", "cleftedge-reference"),
           "clinical": ("reference_clinical.pt", "metrics_clinical.json", "cleftedge-reference-clinical")}


def reference_spec(threshold: float = 0.5, heatmap: bool = True, version: str = "1",
                   model_name: str = "cleftedge-reference") -> ModelSpec:
    """The reference model's spec: 128x160 grey input with the sector cropped, softmax over (no_cleft, cleft), the
    flag `threshold`, and the heat map output unless `heatmap` is False."""
    return ModelSpec(
        input=InputSpec(name=INPUT_NAME, height=HEIGHT, width=WIDTH, channels=1, color="GRAY",
                        resize="stretch", scale=1.0 / 255.0, mean=(0.25,), std=(0.25,), crop_sector=True),
        output=OutputSpec(name=LOGITS_NAME, class_names=("no_cleft", "cleft"), positive_classes=(1,),
                          kind="logits", activation="softmax", threshold=threshold,
                          heatmap=HEATMAP_NAME if heatmap else None),
        model_name=model_name,
        model_version=version,
        notes="Trained on synthetic simulator frames. Not for clinical use.",
    )
