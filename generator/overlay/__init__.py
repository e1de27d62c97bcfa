"""Writing overlays: file contents from Jinja2 skeletons, and the atomic, manifest-tracked writer."""
