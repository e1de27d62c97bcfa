"""The files of each cluster's overlay folder, as text.

Two Jinja2 templates (templates/ at the repository root) write what is the same in every overlay: the header
comment of each file and the kustomization. Every value goes through a filter that serializes it with the YAML
emitter, so no spec value can inject YAML structure or break the comment.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from generator.overlay import templates
from generator.records import record
from generator.render.install.objects import REGISTRY_PATCH_TARGET
from generator.render.install.plan import InstallRender
from generator.render.plan import ClusterRender
from generator.render.yamlout import dump_document, dump_stream, flow

KUSTOMIZATION = "kustomization.yaml"
CONTROLLER = "migrationcontroller-patch.yaml"
OPERATOR_PATCH = "migration-operator-patch.yaml"


def install_files(install: InstallRender) -> list[tuple[str, list[dict[str, Any]]]]:
    """spec §8 resources by file: the operator, the credential Secrets, the MTC wiring."""
    return [(name, objs) for name, objs in install.groups() if objs]


def _comment(value: object) -> str:
    """A value safe inside a `#` comment: one line, printable."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(  # YAML output, not HTML: values are escaped by `flow`
        loader=jinja2.FileSystemLoader(templates.folder(), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701
    )
    env.filters["flow"] = flow
    env.filters["comment"] = _comment
    return env


def _render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


@record
class _Patch:
    path: str
    target: dict[str, Any] | None = None


def policy_file(namespace: str) -> str:
    return f"networkpolicy-{namespace}.yaml"


def firewall_file(namespace: str, *, patch: bool) -> str:
    return f"egressfirewall-{namespace}{'-patch' if patch else ''}.yaml"


def cluster_files(
    render: ClusterRender,
    spec_label: str,
    spec_dir: Path,
    overlay_dir: Path,
    regenerate: str = "with: mtc-policygen generate",
) -> dict[str, str]:
    """`{file name: text}` of one cluster's overlay folder, kustomization included.

    `spec_label` and `regenerate` (how to write the file again: "with: <command>") go into every file's header.
    """
    header = {"spec": spec_label, "regenerate": regenerate}
    comment = _render("header.j2", **header)

    def resource(body: str) -> str:
        return comment + body.rstrip("\n") + "\n"

    files: dict[str, str] = {}
    resource_list: list[str] = []
    patches: list[_Patch] = []
    if render.base is not None:
        base_dir = Path(os.path.abspath(spec_dir / render.base))
        resource_list.append(PurePosixPath(Path(os.path.relpath(base_dir, os.path.abspath(overlay_dir)))).as_posix())
        patches.append(_Patch(CONTROLLER))
    else:
        resource_list.append(CONTROLLER)
    files[CONTROLLER] = resource(dump_document(render.controller))

    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for namespace, policy in render.policies:
        by_namespace.setdefault(namespace, []).append(policy)
    for namespace, policies in sorted(by_namespace.items()):
        name = policy_file(namespace)
        files[name] = resource(dump_stream(policies).removeprefix("---\n"))
        resource_list.append(name)

    for fw in render.firewalls:
        if fw.whole is not None:
            name = firewall_file(fw.namespace, patch=False)
            files[name] = resource(dump_document(fw.whole))
            resource_list.append(name)
        else:
            name = firewall_file(fw.namespace, patch=True)
            files[name] = resource(dump_document(fw.json6902()))
            patches.append(_Patch(name, fw.target()))

    images: list[dict[str, str]] = []
    if render.install is not None:  # spec §8
        for name, objs in install_files(render.install):
            files[name] = resource(dump_stream(objs).removeprefix("---\n"))
            resource_list.append(name)
        if render.install.deployment_patch is not None:
            files[OPERATOR_PATCH] = resource(dump_document(render.install.deployment_patch))
            patches.append(_Patch(OPERATOR_PATCH, REGISTRY_PATCH_TARGET))
        images = render.install.images
    files[KUSTOMIZATION] = _render(
        "kustomization.yaml.j2", resources=resource_list, patches=patches, images=images, **header
    )
    return files
