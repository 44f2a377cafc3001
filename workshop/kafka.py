"""The local stack's Kafka: a single-node KRaft broker secured as production clusters are.

Clients reach it on one SASL_SSL listener (SCRAM-SHA-512 and -256, TLS with a local CA); the controller
listener takes only the broker's own certificate (its CA signs nothing else), so no client can use it; the
StandardAuthorizer refuses whatever no ACL allows. Two principals exist from the start, both super users:
`kafka-broker` (the broker itself) and `kafka-admin` (the workshop's, to make principals, grant ACLs and read
what tests check). Every other principal gets exactly the ACLs `wostream.broker.acls` documents (`Access`).
Its data, certificates and passwords stay in `data_dir` across restarts.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from workshop.access import Access
from workshop.certs import make_kafka_certs
from workshop.paths import KAFKA_FILES
from workshop.stack import CACHE, Managed, StackError, wait_port

KAFKA_VERSION = "4.1.1"
BROKER, ADMIN = "kafka-broker", "kafka-admin"


def kafka_libs() -> Path:
    """The broker's jars, fetched once from Maven Central by workshop/kafka/pom.xml into the cache."""
    libs = CACHE / f"kafka-{KAFKA_VERSION}" / "libs"
    if not any(libs.glob("kafka_2.13-*.jar")):
        if shutil.which("mvn") is None:
            raise StackError("Maven (mvn) is needed once to fetch Kafka's jars; run scripts/setup.sh")
        pom = KAFKA_FILES / "pom.xml"
        done = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise StackError(f"fetching Kafka's jars failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return libs


def _password(folder: Path, user: str) -> str:
    path = folder / f"{user}.password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


G1 = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
)


@dataclass
class Kafka:
    """Single-node KRaft broker+controller on 127.0.0.1."""

    data_dir: Path
    port: int = 9092
    controller_port: int = 9093
    heap: str = "1g"  # ZGC wants headroom: a full heap stalls allocations instead of pausing
    # ZGC for the tests: pauses under a millisecond. With the serial collector each young collection stopped
    # the broker for 20-55 ms every ~8 s under a steady stream; such a pause lands on a few events' latency,
    # and a test comparing 3 s phases saw it as one phase being slower than another. The benchmarks run
    # Kafka's own default (G1, `kafka-run-class.sh`): ZGC's concurrent work took CPU from the 2 cores.
    gc: tuple[str, ...] = ("-XX:+UseZGC",)
    process: Managed | None = field(default=None, init=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    def access(self) -> Access:
        """How the workshop reaches this broker as its admin (and makes principals for the rest)."""
        return Access(
            self.bootstrap,
            self.secrets_dir / "ca.pem",
            ADMIN,
            self.secrets_dir / f"{ADMIN}.password",
            self.secrets_dir,
        )

    def _write_config(self) -> Path:
        folder = make_kafka_certs(self.secrets_dir)
        broker = _password(folder, BROKER)
        _password(folder, ADMIN)
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
        lines = [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=CLIENT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=CLIENT://127.0.0.1:{self.port}",
            "listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=CLIENT",
            "listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f'listener.name.client.scram-sha-512.sasl.jaas.config={scram} username="{BROKER}" '
            f'password="{broker}";',
            f"listener.name.client.scram-sha-256.sasl.jaas.config={scram};",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={folder / 'broker-keystore.pem'}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={folder / 'ca.pem'}",
            # the controller listener trusts only its own CA, which signs only the broker's controller cert
            "listener.name.controller.ssl.keystore.type=PEM",
            f"listener.name.controller.ssl.keystore.location={folder / 'controller-keystore.pem'}",
            "listener.name.controller.ssl.truststore.type=PEM",
            f"listener.name.controller.ssl.truststore.location={folder / 'controller-ca.pem'}",
            "listener.name.controller.ssl.client.auth=required",
            "ssl.principal.mapping.rules=RULE:^CN=([^,]+),.*$/$1/,DEFAULT",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found=false",
            f"super.users=User:{BROKER};User:{ADMIN}",
            f"log.dirs={self.data_dir / 'logs'}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.min.compaction.lag.ms=0",
            "",
        ]
        cfg = self.data_dir / "server.properties"
        cfg.write_text("\n".join(lines), encoding="utf-8")
        cfg.chmod(0o600)  # it holds the broker's own password
        return cfg

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            *self.gc,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_FILES / 'log4j2.properties'}",
            "-cp",
            f"{kafka_libs()}/*",
            main,
            *args,
        ]

    def _format(self, cfg: Path) -> None:
        """Storage formatted once, with the two super users' SCRAM credentials in its first metadata."""
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        users = []
        for user in (BROKER, ADMIN):
            secret = _password(self.secrets_dir, user)
            users += ["--add-scram", f"SCRAM-SHA-512=[name={user},password={secret}]"]
        done = subprocess.run(
            self._java(
                "kafka.tools.StorageTool", "format", f"--cluster-id={cluster}", "-c", str(cfg), *users
            ),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")

    def start(self, timeout: float = 90.0) -> None:
        if shutil.which("java") is None:
            raise StackError("java (17+) is needed to run Kafka")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cfg = self._write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            self._format(cfg)
        self.process = Managed("kafka", self._java("kafka.Kafka", str(cfg)), self.data_dir / "kafka.log")
        self.process.start()
        wait_port(self.port, timeout, self.process.proc, "Kafka")

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is not None:
            self.process.stop(timeout)
