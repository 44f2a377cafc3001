package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * At-least-once delivery, seen from the handler: an event pushed twice (same event id) reaches it once and is
 * still acknowledged; an event the handler refuses comes back later and is applied then.
 */
class DuplicatesTest {
  @Test
  void anEventPushedTwiceReachesTheHandlerOnceAndIsStillAcknowledged() throws Exception {
    KitStack.assumeRunning();
    Received received = new Received();
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JDUP").build(), received)) {
      KitStack.send("duplicates"); // 8400001-0, -0 again, -1, -2, -1 again
      KitStack.await(() -> sub.duplicatesSkipped() == 2, Duration.ofSeconds(30), "both copies skipped");
      assertEquals(List.of("8400001-0", "8400001-1", "8400001-2"), KitStack.ids(received.events()));
      // acknowledged: nothing waits for JDUP and nothing is being retried
      KitStack.await(
          () -> KitStack.status("JDUP").equals("online true backlog 0 retrying 0 dead 0"), Duration.ofSeconds(30), "JDUP drained");
      received.assertNoMoreThan(3, Duration.ofMillis(300));
    }
  }

  @Test
  void anEventTheHandlerRefusesComesBackLaterWithTheNextAttempt() throws Exception {
    KitStack.assumeRunning();
    List<Event> calls = new ArrayList<>();
    Received applied = new Received();
    EventHandler handler =
        event -> {
          synchronized (calls) {
            calls.add(event);
            if (calls.size() == 1) {
              throw new IllegalStateException("database busy");
            }
          }
          applied.onEvent(event);
        };
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JRETRY").build(), handler)) {
      KitStack.send("retry");
      List<Event> got = applied.await(2, Duration.ofSeconds(30));
      assertEquals(List.of("8500001-0", "8500001-1"), KitStack.ids(got), "the ticket's order holds");
      assertEquals(2, got.get(0).attempt(), "the refused event came back as attempt 2");
      assertEquals(1, got.get(1).attempt());
      synchronized (calls) {
        assertEquals(List.of("8500001-0", "8500001-0", "8500001-1"), KitStack.ids(calls));
        assertEquals(1, calls.get(0).attempt());
      }
      assertEquals(0, sub.duplicatesSkipped(), "a refused event was not applied, so not seen");
    }
  }
}
