package io.wostream.subscriber;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the kit needs to connect: the routers (in order of preference), the CA that signed their
 * certificates, the baseCode and its secret, and timings. Build one with {@link #builder()}; {@link #toString()}
 * never shows the secret.
 */
public final class SubscriberConfig {
  private final List<String> routers;
  private final String routerIdentity;
  private final Path caFile;
  private final String baseCode;
  private final String secret;
  private final Duration connectTimeout;
  private final Duration invocationTimeout;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration startTimeout;
  private final SeenEvents seenEvents;
  private final SubscriberListener listener;
  private final Map<String, String> iceProperties;

  private SubscriberConfig(Builder b) {
    if (b.routers.isEmpty()) {
      throw new IllegalArgumentException("no router: add at least one, e.g. router(\"ssl -h HOST -p 4063\")");
    }
    this.routers = List.copyOf(b.routers);
    this.routerIdentity = b.routerIdentity;
    this.caFile = Objects.requireNonNull(b.caFile, "caFile: the CA (PEM) that signed the router's certificate");
    if (!Files.isReadable(caFile)) {
      throw new IllegalArgumentException("caFile " + caFile + " is not a readable file");
    }
    this.baseCode = Objects.requireNonNull(b.baseCode, "baseCode");
    this.secret = Objects.requireNonNull(b.secret, "secret");
    this.connectTimeout = b.connectTimeout;
    this.invocationTimeout = b.invocationTimeout;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.startTimeout = b.startTimeout;
    this.seenEvents = b.seenEvents != null ? b.seenEvents : new LruSeenEvents(100_000);
    this.listener = b.listener != null ? b.listener : new SubscriberListener() {};
    this.iceProperties = Map.copyOf(b.iceProperties);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder with the same settings (e.g. the same routers and CA with another secret). */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.routers.addAll(routers);
    b.routerIdentity = routerIdentity;
    b.caFile = caFile;
    b.baseCode = baseCode;
    b.secret = secret;
    b.connectTimeout = connectTimeout;
    b.invocationTimeout = invocationTimeout;
    b.initialBackoff = initialBackoff;
    b.maxBackoff = maxBackoff;
    b.startTimeout = startTimeout;
    b.seenEvents = seenEvents;
    b.listener = listener;
    b.iceProperties.putAll(iceProperties);
    return b;
  }

  public List<String> routers() {
    return routers;
  }

  /** The router proxy: every router's endpoint, in order (Ice tries them in that order). */
  String routerProxy() {
    return routerIdentity + ":" + String.join(":", routers);
  }

  /** Whether any router endpoint is plain {@code tcp} (wostream's are TLS only: see PlainTcpToTlsPortException). */
  boolean dialsPlainTcp() {
    return routers.stream().anyMatch(r -> r.strip().startsWith("tcp"));
  }

  public Path caFile() {
    return caFile;
  }

  public String baseCode() {
    return baseCode;
  }

  String secret() {
    return secret;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration invocationTimeout() {
    return invocationTimeout;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  public Duration startTimeout() {
    return startTimeout;
  }

  public SeenEvents seenEvents() {
    return seenEvents;
  }

  public SubscriberListener listener() {
    return listener;
  }

  Map<String, String> iceProperties() {
    return iceProperties;
  }

  @Override
  public String toString() {
    return "SubscriberConfig[baseCode=" + baseCode + ", routers=" + routers + ", ca=" + caFile + "]";
  }

  /** Settings with defaults that suit wostream's routers; only routers, CA, baseCode and secret are required. */
  public static final class Builder {
    private final List<String> routers = new ArrayList<>();
    private String routerIdentity = "wostream/router";
    private Path caFile;
    private String baseCode;
    private String secret;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration invocationTimeout = Duration.ofSeconds(30);
    private Duration initialBackoff = Duration.ofMillis(500);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration startTimeout = Duration.ofSeconds(60);
    private SeenEvents seenEvents;
    private SubscriberListener listener;
    private final Map<String, String> iceProperties = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Adds a router's client endpoint, e.g. {@code ssl -h router1.example.com -p 4063}. Routers are tried in the
     * order added: the first while it answers, the next when it does not.
     */
    public Builder router(String endpoint) {
      routers.add(Objects.requireNonNull(endpoint).strip());
      return this;
    }

    /** Replaces the router list. */
    public Builder routers(List<String> endpoints) {
      routers.clear();
      endpoints.forEach(this::router);
      return this;
    }

    /** The router's Ice identity ({@code Glacier2.InstanceName/router}); wostream's is {@code wostream/router}. */
    public Builder routerIdentity(String identity) {
      routerIdentity = Objects.requireNonNull(identity);
      return this;
    }

    /** The CA certificate(s) in PEM that signed the routers' certificates (no keytool step needed). */
    public Builder caFile(Path pem) {
      caFile = pem;
      return this;
    }

    public Builder baseCode(String code) {
      baseCode = code;
      return this;
    }

    /** The secret; read it from the environment or a file, never from the command line or source code. */
    public Builder secret(String value) {
      secret = value;
      return this;
    }

    /**
     * How long to wait for a router to greet us on a new connection (TLS handshake and Ice validation). Also
     * what turns a plain-TCP client's silent wait into a {@link PlainTcpToTlsPortException}. Default 5 s.
     */
    public Builder connectTimeout(Duration d) {
      connectTimeout = d;
      return this;
    }

    /** How long a call to the router (login, subscribe) may take. Default 30 s. */
    public Builder invocationTimeout(Duration d) {
      invocationTimeout = d;
      return this;
    }

    /** Reconnect back-off: the first wait, doubled after each failure up to {@code max}. Default 0.5 s to 5 s. */
    public Builder backoff(Duration initial, Duration max) {
      initialBackoff = initial;
      maxBackoff = max;
      return this;
    }

    /** How long {@code start} keeps retrying transient failures before it gives up. Default 60 s. */
    public Builder startTimeout(Duration d) {
      startTimeout = d;
      return this;
    }

    /** Where applied event ids are remembered (default: the last 100 000 in memory). */
    public Builder seenEvents(SeenEvents store) {
      seenEvents = store;
      return this;
    }

    public Builder listener(SubscriberListener l) {
      listener = l;
      return this;
    }

    /** An extra Ice property (e.g. {@code IceSSL.Trace.Security=1}); the kit's own TLS settings win. */
    public Builder iceProperty(String key, String value) {
      iceProperties.put(key, value);
      return this;
    }

    public SubscriberConfig build() {
      return new SubscriberConfig(this);
    }
  }
}
