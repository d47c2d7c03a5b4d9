"""Decoding only: bytes or paths in, normalised RGB pixels out."""

from mediamatch.media.budget import DecodeBudget
from mediamatch.media.image import DecodedImage, DecodeOptions, decode_image
from mediamatch.media.sniff import MediaType, sniff

__all__ = ["DecodeBudget", "DecodeOptions", "DecodedImage", "MediaType", "decode_image", "sniff"]
