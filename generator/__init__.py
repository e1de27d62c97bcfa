"""mtc-policygen: GitOps policy generator for OpenShift MTC Direct Volume Migration."""

__version__ = "0.1.0"
