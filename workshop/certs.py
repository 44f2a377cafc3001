"""A local certificate authority for the stack: TLS for subscribers, mutual TLS between router and workers.

Three certificates, each signed by the local CA: the router's (`CN=glacier2router`: its public endpoint, its
server endpoint, and its client side towards the workers), the workers' (`CN=wostream-worker`), and the CA
that subscribers are given to check the router. The Ice property files trust peers by these names
(`IceSSL.TrustOnly.*`), so a certificate from anywhere else, or with another name, is refused. For a cluster,
make the same three with your own CA (SECURITY.md); this module is for the local stack and the tests.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROUTER_CN = "glacier2router"
WORKER_CN = "wostream-worker"
CA_CN = "wostream-local-ca"


@dataclass(frozen=True)
class Certs:
    """The folder Ice reads (`IceSSL.DefaultDir`) and the file names in it."""

    folder: Path
    ca: str = "ca.pem"
    router: str = "router"  # router.pem + router.key
    worker: str = "worker"

    @property
    def ca_file(self) -> Path:
        return self.folder / self.ca


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wostream"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(folder: Path, stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    key_path = folder / f"{stem}.key"
    key_path.write_bytes(pem_key(key))
    key_path.chmod(0o600)
    (folder / f"{stem}.pem").write_bytes(pem_cert(cert))


def _builder(
    subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def new_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(cn, _name(cn), key, 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def new_leaf(
    cn: str, hosts: list[str], ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A certificate for `cn` (server and client use) naming `hosts`, signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(cn)]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    cert = (
        _builder(cn, ca.subject, key, 825)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def make_certs(folder: Path, hosts: list[str] | None = None) -> Certs:
    """A CA and the router's and workers' certificates in `folder`, unless already there (kept across runs).

    `hosts` are the names and addresses subscribers reach the router by (its certificate's SAN).
    """
    certs = Certs(folder)
    if all(
        (folder / name).exists()
        for name in ("ca.pem", "router.pem", "router.key", "worker.pem", "worker.key")
    ):
        return certs
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca = new_ca(CA_CN)
    _write(folder, "ca", ca_key, ca)
    everywhere = ["localhost", "127.0.0.1", *(hosts or [])]
    for stem, cn in (("router", ROUTER_CN), ("worker", WORKER_CN)):
        _write(folder, stem, *new_leaf(cn, everywhere, ca_key, ca))
    return certs


def make_kafka_certs(folder: Path) -> Path:
    """The broker's TLS in `folder`, unless already there: a CA clients check the broker with (`ca.pem`), the
    broker's certificate for its client listener, and for its controller listener one from a second CA that
    signs nothing else (so no client certificate can ever pass there). Kafka reads PEM keystores: the key and
    the chain in one file."""
    if (folder / "broker-keystore.pem").exists() and (folder / "controller-keystore.pem").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    hosts = ["localhost", "127.0.0.1"]
    for ca_stem, keystore, ca_cn in (
        ("ca", "broker-keystore.pem", "wostream-kafka-ca"),
        ("controller-ca", "controller-keystore.pem", "wostream-kafka-controller-ca"),
    ):
        ca_key, ca = new_ca(ca_cn)
        (folder / f"{ca_stem}.pem").write_bytes(pem_cert(ca))
        key, cert = new_leaf("kafka-broker", hosts, ca_key, ca)
        (folder / keystore).write_bytes(pem_key(key) + pem_cert(cert) + pem_cert(ca))
        (folder / keystore).chmod(0o600)
    return folder
