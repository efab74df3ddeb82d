"""Reproducible build of the atlas meshes from the open source data."""
