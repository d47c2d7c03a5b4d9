"""mediamatch: perceptual hashing and matching of images and videos against hash banks."""

__version__ = "0.1.0"
