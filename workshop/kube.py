"""The Kubernetes manifests of k8s/, run on this machine with `podman kube play`.

The same YAML, with what a single machine without a cluster needs changed, each change said here:
- addresses: every pod on the host's network (`hostNetwork`, no container `ports`), on 127.0.0.1 and the
  stack's free ports, and the stack's Kafka and topic names (the ConfigMaps' values);
- one replica of each (two on one host's network would want the same ports), and the router StatefulSet as a
  Deployment (podman 4.3 plays Pods, Deployments and ConfigMaps; it ignores Services, PodDisruptionBudgets,
  NetworkPolicies, Namespaces and Jobs, and turns probes into healthchecks that need systemd: probes go);
- the workloads' names end with the stack's id (pods are named after them, and names are the machine's);
- the route and deliver pods each on ports of their own (`WOSTREAM_WEB_PORT`, `ICE_PORT`), the router's
  verifier and session manager on the deliver pod's (the Service wostream-ice selects deliver pods);
- the Secrets as hostPaths: the certificates as the stack's local CA, the Kafka principal's as a folder
  holding its password and the broker's CA (readable by the images' user), the principal being the stack's;
- the images as built by scripts/image.sh.
"""

from __future__ import annotations

import copy
import shutil
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


ROLES = ("deliver", "route")  # the deliver pod takes adapter_ports[0], where the router's verifier is


def _config(doc: dict[str, Any], stack: LocalStack) -> None:
    data = doc["data"]
    adapter = f"ssl -h 127.0.0.1 -p {stack.adapter_ports[0]}"
    server = f"ssl -h 127.0.0.1 -p {stack.router_ports[0].server}"
    if doc["metadata"]["name"] == "wostream-ice":
        data["worker.properties"] = _properties(
            data["worker.properties"],
            {
                "Wostream.Endpoints": "ssl -h 127.0.0.1 -p ${ICE_PORT}",
                "Wostream.PublishedEndpoints": "ssl -h 127.0.0.1 -p ${ICE_PORT}",
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
        inside = ("ice_config", "datadir", "kafka_password_file", "kafka_ca_file")  # paths in the container
        ours = stack.settings.model_dump(mode="json")
        for key in [k for k in data if k.removeprefix("WOSTREAM_").lower() in ours]:
            name = key.removeprefix("WOSTREAM_").lower()
            if name not in inside:
                value = ours[name]
                data[key] = ",".join(value) if isinstance(value, list) else str(value)
        kept = {k: data[k] for k in data if k.removeprefix("WOSTREAM_").lower() in inside}
        data.update(settings_env(stack.settings))
        data.update(kept)
        data.pop("WOSTREAM_KAFKA_USERNAME", None)  # each pod names its principal
        data.pop("WOSTREAM_WEB_PORT", None)  # and has a port of its own (podman lets envFrom win over env)
        data["WOSTREAM_WEB_HOST"] = "127.0.0.1"


def kafka_secret(stack: LocalStack) -> Path:
    """The worker principal's Secret as a folder: its password and the broker's CA, as k8s/ mounts them."""
    folder = stack.workdir / "kafka-secret"
    folder.mkdir(exist_ok=True)
    settings = stack.settings
    assert settings.kafka_ca_file is not None, "the stack's broker is secured"
    shutil.copy(settings.kafka_ca_file, folder / "ca.crt")
    (folder / "password").write_text(settings.kafka_secret() or "", encoding="utf-8")
    for path in (folder / "ca.crt", folder / "password"):
        path.chmod(0o644)  # the images' user reads it (a test broker's password, in the test's folder)
    folder.chmod(0o755)
    return folder


def _env(env: list[dict[str, Any]], stack: LocalStack, role: str | None, web: dict[str, int]) -> list[Any]:
    changed = {"POD_IP": "127.0.0.1", "WOSTREAM_KAFKA_USERNAME": str(stack.settings.kafka_username)}
    out = [{"name": e["name"], "value": changed[e["name"]]} if e["name"] in changed else e for e in env]
    if role in ROLES:  # podman knows no status.podIP; each role its own ports on the host's network
        ice = stack.adapter_ports[ROLES.index(role)]
        out += [
            {"name": "WOSTREAM_WEB_PORT", "value": str(web[role])},
            {"name": "ICE_PORT", "value": str(ice)},
        ]
    return out


def _workload(doc: dict[str, Any], stack: LocalStack, web: dict[str, int]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    role = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
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
        for key in ("ports", "startupProbe", "readinessProbe", "livenessProbe"):
            container.pop(key, None)
        container["args"] = [a for a in container.get("args", []) if "PublishedEndpoints" not in a]
        container["env"] = _env(container.get("env", []), stack, role, web)
    for volume in pod["volumes"]:
        if "secret" in volume:
            kafka = volume["secret"]["secretName"].startswith("wostream-kafka")
            folder = kafka_secret(stack) if kafka else stack.certs.folder
            del volume["secret"]
            volume["hostPath"] = {"path": str(folder), "type": "Directory"}
    return doc


def local_manifests(stack: LocalStack, k8s: Path, web: dict[str, int]) -> list[dict[str, Any]]:
    """The documents of k8s/ that podman plays, changed as the module says; `web`: each role's web port."""
    docs = []
    for name in ("config.yaml", "worker.yaml", "router.yaml"):
        for doc in yaml.safe_load_all((k8s / name).read_text(encoding="utf-8")):
            if doc is None or doc["kind"] not in PLAYED:
                continue
            if doc["kind"] == "ConfigMap":
                _config(doc, stack)
                docs.append(doc)
            else:
                docs.append(_workload(doc, stack, web))
    return docs


def write(stack: LocalStack, k8s: Path, web: dict[str, int]) -> Path:
    """The played YAML, in the stack's folder (read it to see every change)."""
    path = stack.workdir / "kube-play.yaml"
    path.write_text(yaml.safe_dump_all(local_manifests(stack, k8s, web), sort_keys=False), encoding="utf-8")
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
