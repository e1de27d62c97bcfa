"""Rendering: a validated ClusterPair to plain Kubernetes objects and patches, per cluster. No I/O here."""
