"""Manifests: YAML files in, checked desired objects and diagnostics out.

`load_manifests` is the stage's one entry point; `ManifestSet` is what later stages consume.
"""

from __future__ import annotations

from egain_provision.manifest.loader import ManifestSet, load_manifests, manifest_files

__all__ = ["ManifestSet", "load_manifests", "manifest_files"]
