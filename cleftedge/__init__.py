"""cleftedge: edge deployment of a fetal orofacial-cleft classifier on ultrasound carts."""

__version__ = "0.1.0"
