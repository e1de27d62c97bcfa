"""Runtime adapters: what a host tool (Argo CD) passes in, turned into library calls; no printing, no exiting."""
