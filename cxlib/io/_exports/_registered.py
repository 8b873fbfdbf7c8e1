"""Imports every export module, so that each registers its formats (one line per family)."""

from cxlib.io._exports import ga4, segment, shopify, surveys  # noqa: F401
