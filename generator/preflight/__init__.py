"""Preflight: what blocks Direct Volume Migration in the clusters' real state, today and after the output."""
