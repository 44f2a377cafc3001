package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What a subscriber asks of its own session through the kit: {@code status()} (the last event handed on, once
 * events arrived) and {@code resyncTicket}/{@code resyncSince} (its own ticket pushed again, flagged, with the
 * original eventId; a second resync within wostream's minute refused with the wait).
 */
class SelfServiceTest {
  @Test
  void theStatusShowsTheLastDeliveredEventOnceEventsArrived() throws Exception {
    KitStack.assumeRunning();
    Received received = new Received();
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JSTATUS").build(), received)) {
      SubscriberStatus before = sub.status();
      assertEquals(Optional.empty(), before.lastDelivered(), "nothing delivered yet: " + before);
      assertEquals(0, before.backlog(), before.toString());

      KitStack.send("status");
      List<String> sent = KitStack.eventIds("status");
      assertEquals(sent, KitStack.ids(received.await(3, Duration.ofSeconds(30))));
      String last = sent.get(2);
      AtomicReference<SubscriberStatus> seen = new AtomicReference<>();
      KitStack.await(
          () -> last.equals(remember(seen, sub).lastDeliveredEventId()),
          Duration.ofSeconds(30),
          "the status to name " + last + " as the last delivered (it says " + seen.get() + ")");
      assertEquals(new SubscriberStatus("online", 0, -1, last, 0, 0), seen.get());
      assertEquals(Optional.empty(), seen.get().oldestWaiting());
    }
  }

  @Test
  void aResyncOfItsOwnTicketComesAgainFlaggedAndASecondWithinTheMinuteIsRefusedWithTheWait() throws Exception {
    KitStack.assumeRunning();
    Received received = new Received();
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JSELF").build(), received)) {
      KitStack.send("self-resync");
      List<String> sent = KitStack.eventIds("self-resync");
      List<Event> live = received.await(3, Duration.ofSeconds(30));
      assertEquals(sent, KitStack.ids(live));

      long asked = System.nanoTime();
      assertEquals(1, sub.resyncTicket("8700001"), "the latest event of its one kind (step handled)");
      List<Event> all = received.await(4, Duration.ofSeconds(30));
      received.assertNoMoreThan(4, Duration.ofMillis(500));
      Event again = all.get(3);
      assertEquals("8700001-2", again.eventId(), "the original eventId");
      assertTrue(again.isResync());
      assertEquals("1", again.context().get("resync"));
      assertEquals(live.get(2).message(), again.message(), "the same envelope");
      assertFalse(live.get(2).isResync());

      ResyncRefusedException tooSoon =
          assertThrows(ResyncRefusedException.class, () -> sub.resyncTicket("8700001"));
      long elapsed = Duration.ofNanos(System.nanoTime() - asked).toSeconds();
      assertTrue(tooSoon.reason().matches("one resync every 60 s: try again in \\d+ s"), tooSoon.reason());
      long wait = tooSoon.retryAfter().orElseThrow().toSeconds();
      assertTrue(wait <= 60 && wait >= 60 - elapsed - 1, "wait " + wait + " s, " + elapsed + " s after the first");
      assertTrue(tooSoon.retryable());
      assertEquals("wostream refused the resync: " + tooSoon.reason(), tooSoon.getMessage());

      ResyncRefusedException since =
          assertThrows(ResyncRefusedException.class, () -> sub.resyncSince(Instant.now().minusSeconds(3600)));
      assertTrue(since.reason().startsWith("one resync every 60 s: try again in "), "the same limit: " + since);
      ResyncRefusedException tooFar =
          assertThrows(ResyncRefusedException.class, () -> sub.resyncSince(Instant.now().minus(Duration.ofDays(8))));
      assertEquals("a resync reaches back at most 7 days", tooFar.reason());
      assertEquals(Optional.empty(), tooFar.retryAfter());
      assertFalse(tooFar.retryable());
      received.assertNoMoreThan(4, Duration.ofMillis(500));
    }
  }

  private static SubscriberStatus remember(AtomicReference<SubscriberStatus> seen, WostreamSubscriber sub) {
    try {
      seen.set(sub.status());
      return seen.get();
    } catch (SubscriberException e) {
      throw new AssertionError("status() failed: " + e.getMessage(), e);
    }
  }
}
