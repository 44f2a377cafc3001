package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The real stack the integration tests run against, as tests/integration/test_java_kit.py started it and
 * described it in {@code WOSTREAM_KIT_*} environment variables: routers, CA, secret, event files, and the
 * wostream CLI (with the stack's settings in the inherited environment) to send events and run resyncs.
 * Without those variables (a plain {@code mvn verify}) the integration tests are skipped, and that pytest test
 * fails if any is.
 */
final class KitStack {
  static final ObjectMapper JSON = new ObjectMapper();

  private KitStack() {}

  static void assumeRunning() {
    assumeTrue(System.getenv("WOSTREAM_KIT_ROUTERS") != null, "no stack: run tests/integration/test_java_kit.py");
  }

  static String env(String name) {
    String value = System.getenv(name);
    if (value == null) {
      fail("$" + name + " is not set (tests/integration/test_java_kit.py sets it)");
    }
    return value;
  }

  static List<String> routers() {
    return strings(env("WOSTREAM_KIT_ROUTERS"));
  }

  static int routerPort(int index) {
    return read(env("WOSTREAM_KIT_ROUTER_PORTS")).get(index).asInt();
  }

  /** A configuration for {@code baseCode} through every router, in order, with the right CA and secret. */
  static SubscriberConfig.Builder config(String baseCode) {
    return SubscriberConfig.builder()
        .routers(routers())
        .caFile(Path.of(env("WOSTREAM_KIT_CA")))
        .baseCode(baseCode)
        .secret(env("WOSTREAM_KIT_SECRET"))
        .backoff(Duration.ofMillis(200), Duration.ofSeconds(1))
        .startTimeout(Duration.ofSeconds(30));
  }

  static Path events(String scenario) {
    return Path.of(env("WOSTREAM_KIT_EVENTS"), scenario + ".jsonl");
  }

  /** The eventIds of an event file, in the order sent. */
  static List<String> eventIds(String scenario) throws IOException {
    List<String> ids = new ArrayList<>();
    for (String line : Files.readAllLines(events(scenario), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        ids.add(read(line).get("eventId").asText());
      }
    }
    return ids;
  }

  /** {@code wostream send FILE}: the scenario's events into the stack's raw topic. */
  static void send(String scenario) throws Exception {
    String out = wostream("send", events(scenario).toString());
    if (!out.contains("events sent")) {
      fail("wostream send said: " + out);
    }
  }

  /** {@code wostream ARGS} with the stack's settings; its stdout. Fails the test if it fails. */
  static String wostream(String... args) throws Exception {
    List<String> command = new ArrayList<>(strings(env("WOSTREAM_KIT_CLI")));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(Path.of(env("WOSTREAM_KIT_REPO")).toFile());
    pb.environment().put("PYTHONPATH", env("WOSTREAM_KIT_REPO")); // the worktree's wostream, not another
    pb.redirectErrorStream(true);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("wostream " + String.join(" ", args) + " did not finish");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> "wostream " + String.join(" ", args) + " failed:\n" + text);
    return text;
  }

  /** Asks pytest to kill router {@code index} (its child process) and waits until it did. */
  static void killRouter(int index) throws Exception {
    Path control = Path.of(env("WOSTREAM_KIT_CONTROL"));
    String name = "kill-router-" + index;
    Files.writeString(control.resolve(name + ".request.tmp"), "");
    Files.move(control.resolve(name + ".request.tmp"), control.resolve(name + ".request"));
    Path done = control.resolve(name + ".done");
    await(() -> Files.exists(done), Duration.ofSeconds(30), "pytest to kill router " + index);
    assertEquals("killed", Files.readString(done));
  }

  /** Polls {@code condition} every 20 ms until it holds; fails with {@code what} after {@code timeout}. */
  static void await(Supplier<Boolean> condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.get()) {
      if (System.nanoTime() > deadline) {
        fail("waited " + timeout.toSeconds() + " s for " + what);
      }
      Thread.sleep(20);
    }
  }

  static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static List<String> strings(String jsonArray) {
    List<String> out = new ArrayList<>();
    read(jsonArray).forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Ids of the events in order, e.g. to compare with what was sent. */
  static List<String> ids(List<Event> events) {
    return events.stream().map(Event::eventId).toList();
  }

  /** The events of one ticket (eventId "TICKET-SEQ"), in the order received. */
  static List<String> idsOfTicket(List<Event> events, String ticket) {
    return events.stream().map(Event::eventId).filter(id -> id.startsWith(ticket + "-")).toList();
  }

  /**
   * The subscriber's figures as the worker's web port serves them ({@code /subscribers}: backlog, retrying and
   * dead from Kafka, refreshed every second in tests; {@code online} from the live callbacks), in a line:
   * "online true backlog 0 retrying 0 dead 0", or what went wrong.
   */
  static String status(String baseCode) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(env("WOSTREAM_KIT_WEB") + "/subscribers"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      for (JsonNode s : read(r.body())) {
        if (s.get("baseCode").asText().equals(baseCode)) {
          return "online " + s.get("online").asBoolean() + " backlog " + s.get("backlog").asText()
              + " retrying " + s.get("retrying").asText() + " dead " + s.get("dead").asText();
        }
      }
      return "no subscriber " + baseCode;
    } catch (IOException | RuntimeException e) {
      return e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e.toString();
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();
}
