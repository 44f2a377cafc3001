package io.wostream.subscriber.example;

import io.wostream.subscriber.Event;
import io.wostream.subscriber.SubscriberConfig;
import io.wostream.subscriber.SubscriberException;
import io.wostream.subscriber.SubscriberListener;
import io.wostream.subscriber.WostreamSubscriber;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The Java twin of {@code wostream subscriber}: prints every envelope it receives as one JSON line on stdout,
 * and what happens to the connection on stderr. Exit code 2 when retrying cannot help (wrong secret, untrusted
 * router, plain TCP), as the Python reference subscriber does.
 *
 * <pre>
 * WOSTREAM_SUBSCRIBER_SECRET=... java -jar target/wostream-subscriber-0.1.0.jar \
 *     --base-code HRZDWYWHXT --router 'ssl -h 127.0.0.1 -p 4063' --ca .wostream/certs/ca.pem [--batch]
 * </pre>
 */
public final class PrintSubscriber {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private PrintSubscriber() {}

  public static void main(String[] args) throws Exception {
    String baseCode = null;
    SubscriberConfig.Builder config = SubscriberConfig.builder();
    boolean batch = false;
    String secret = System.getenv("WOSTREAM_SUBSCRIBER_SECRET");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--base-code" -> baseCode = args[++i];
        case "--router" -> config.router(args[++i]);
        case "--ca" -> config.caFile(Path.of(args[++i]));
        case "--secret-file" -> secret = firstLine(Path.of(args[++i]));
        case "--batch" -> batch = true;
        default -> usage("unknown option " + args[i]);
      }
    }
    if (secret == null || secret.isEmpty()) {
      usage("no secret: set $WOSTREAM_SUBSCRIBER_SECRET or give --secret-file");
    }
    SubscriberConfig built = config.baseCode(baseCode).secret(secret).listener(new Log(baseCode)).build();
    // Ctrl-C / SIGTERM: end the session at the router before the JVM exits
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    closed.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    WostreamSubscriber subscriber;
    try {
      subscriber =
          batch
              ? WostreamSubscriber.startBatches(built, events -> events.forEach(PrintSubscriber::print))
              : WostreamSubscriber.start(built, PrintSubscriber::print);
    } catch (SubscriberException e) {
      log("refused: " + e.getMessage());
      closed.countDown();
      System.exit(2);
      return;
    }
    try (subscriber) {
      while (!stop.await(500, TimeUnit.MILLISECONDS)) {
        if (subscriber.failure().isPresent()) {
          break; // the listener said why
        }
      }
    } finally {
      closed.countDown();
    }
    if (subscriber.failure().isPresent()) {
      System.exit(2);
    }
  }

  private static void print(Event event) {
    OUT.println(event.message()); // one line: wostream's envelopes hold no raw newline
  }

  private static String firstLine(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return lines.isEmpty() ? "" : lines.get(0).strip();
  }

  private static void usage(String problem) {
    log(problem);
    log("usage: --base-code CODE --router 'ssl -h HOST -p PORT' [--router ...] --ca ca.pem"
        + " [--secret-file FILE] [--batch]   (secret: $WOSTREAM_SUBSCRIBER_SECRET)");
    System.exit(64);
  }

  static void log(String text) {
    System.err.println("[subscriber] " + text);
  }

  /** Connection events on stderr, in the Python reference subscriber's words. */
  private static final class Log implements SubscriberListener {
    private final String baseCode;

    Log(String baseCode) {
      this.baseCode = baseCode;
    }

    @Override
    public void onDisconnected(String router) {
      log("connection to the router " + router + " lost; reconnecting");
    }

    @Override
    public void onSubscribed(String router) {
      log("subscribed as " + baseCode + " through " + router);
    }

    @Override
    public void onRetry(SubscriberException why, long retryInMillis) {
      log(why.getMessage() + "; retrying in " + retryInMillis + " ms");
    }

    @Override
    public void onGaveUp(SubscriberException why) {
      log("refused: " + why.getMessage());
    }
  }
}
