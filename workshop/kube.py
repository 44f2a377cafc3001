"""The Kubernetes manifests of k8s/, run on this machine with `podman kube play`.

The same YAML, with what a single machine without a cluster needs changed, each change said here:
- addresses: every pod on the host's network (`hostNetwork`, no container `ports`), on 127.0.0.1 and the
  stack's free ports, and the stack's Kafka and topic names (the ConfigMaps' values);
- one replica of each (two on one host's network would want the same ports), and the router StatefulSet as a
  Deployment (podman 4.3 plays Pods, Deployments and ConfigMaps; it ignores Services, PodDisruptionBudgets,
  NetworkPolicies, Namespaces and Jobs, and turns probes into healthchecks that need systemd: probes go);
- the workloads' names end with the stack's id (pods are named after them, and names are the machine's);
- the certificates Secret as a hostPath to the stack's local CA, and the images as built by scripts/image.sh.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from workshop.containers import ROUTER_IMAGE, WORKER_IMAGE, podman
from workshop.local import LocalStack
from workshop.wiring import settings_env

PLAYED = ("ConfigMap", "Deployment", "StatefulSet")


def _properties(text: str, changes: dict[str, str]) -> str:
    lines = [line for line in text.splitlines() if line.split("=", 1)[0].strip() not in changes]
    return "\n".join([*lines, *(f"{k}={v}" for k, v in changes.items())]) + "\n"


def _config(doc: dict[str, Any], stack: LocalStack, web_port: int) -> None:
    data = doc["data"]
    adapter = f"ssl -h 127.0.0.1 -p {stack.adapter_ports[0]}"
    server = f"ssl -h 127.0.0.1 -p {stack.router_ports[0].server}"
    if doc["metadata"]["name"] == "wostream-ice":
        data["worker.properties"] = _properties(
            data["worker.properties"],
            {
                "Wostream.Endpoints": adapter,
                "Wostream.PublishedEndpoints": adapter,
                "Wostream.RouterServerEndpoints": server,
            },
        )
        data["glacier2router.properties"] = _properties(
            data["glacier2router.properties"],
            {
                "Glacier2.Client.Endpoints": f"ssl -h 127.0.0.1 -p {stack.router_ports[0].client} -t 10000",
                "Glacier2.Server.Endpoints": server,
                "Glacier2.PermissionsVerifier": f"wostream/PermissionsVerifier:{adapter}",
                "Glacier2.SessionManager": f"wostream/SessionManager:{adapter}",
                "Glacier2.Filter.Address.Accept": f"127.0.0.1:{stack.adapter_ports[0]}",
            },
        )
    else:
        ours = stack.settings.model_dump(mode="json")
        for key in [k for k in data if k.removeprefix("WOSTREAM_").lower() in ours]:
            name = key.removeprefix("WOSTREAM_").lower()
            if name not in ("ice_config", "datadir"):  # paths inside the container stay
                data[key] = str(ours[name])
        data.update(settings_env(stack.settings))
        data.update({"WOSTREAM_WEB_HOST": "127.0.0.1", "WOSTREAM_WEB_PORT": str(web_port)})


def _workload(doc: dict[str, Any], stack: LocalStack) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if doc["kind"] == "StatefulSet":
        doc["kind"] = "Deployment"
        for key in ("serviceName", "podManagementPolicy"):
            doc["spec"].pop(key, None)
    doc["spec"]["replicas"] = 1
    doc["metadata"]["name"] += f"-{stack.uid}"  # pods of several stacks on one machine
    pod = doc["spec"]["template"]["spec"]
    pod["hostNetwork"] = True
    pod.pop("affinity", None)
    for container in pod["containers"]:
        container["image"] = WORKER_IMAGE if "glacier2" not in container["image"] else ROUTER_IMAGE
        for key in ("ports", "readinessProbe", "livenessProbe"):
            container.pop(key, None)
        container["args"] = [a for a in container.get("args", []) if "PublishedEndpoints" not in a]
        for env in container.get("env", []):
            if env["name"] == "POD_IP":  # podman knows no status.podIP
                env.pop("valueFrom")
                env["value"] = "127.0.0.1"
    for volume in pod["volumes"]:
        if "secret" in volume:
            del volume["secret"]
            volume["hostPath"] = {"path": str(stack.certs.folder), "type": "Directory"}
    return doc


def local_manifests(stack: LocalStack, k8s: Path, web_port: int) -> list[dict[str, Any]]:
    """The documents of k8s/ that podman plays, changed as the module says."""
    docs = []
    for name in ("config.yaml", "worker.yaml", "router.yaml"):
        for doc in yaml.safe_load_all((k8s / name).read_text(encoding="utf-8")):
            if doc is None or doc["kind"] not in PLAYED:
                continue
            if doc["kind"] == "ConfigMap":
                _config(doc, stack, web_port)
                docs.append(doc)
            else:
                docs.append(_workload(doc, stack))
    return docs


def write(stack: LocalStack, k8s: Path, web_port: int) -> Path:
    """The played YAML, in the stack's folder (read it to see every change)."""
    path = stack.workdir / "kube-play.yaml"
    path.write_text(
        yaml.safe_dump_all(local_manifests(stack, k8s, web_port), sort_keys=False), encoding="utf-8"
    )
    return path


def play(path: Path) -> None:
    done = podman("kube", "play", str(path), check=False, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"podman kube play {path} failed ({done.returncode}):\n{done.stderr}")


def logs(stack: LocalStack) -> str:
    """Every played container's log, to read when something did not come up."""
    names = podman("ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
    ours = [n for n in names if stack.uid in n and not n.endswith("-infra")]
    return "\n".join(f"--- {n}\n{podman('logs', n, check=False).stderr[-2500:]}" for n in ours)


def down(path: Path) -> None:
    podman("kube", "down", str(path), check=False, timeout=120)
