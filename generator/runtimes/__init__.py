"""Runtime adapters: how kustomize and kpt hand items and a function config to us, and take them back.

`krm` is the KRM exec function (kustomize `--enable-exec`, kpt `--exec`), `legacy` the kustomize legacy exec
plugin. Both read the items as YAML nodes and write untouched items back as the same nodes, decide nothing
themselves (generator/transform.py does), and share the function-config reading of `config`.
`argocd` is the Argo CD Config Management Plugin entry: the request from its environment, the objects out.
"""
