package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An operator's resync ({@code wostream resync BASECODE --ticket T}) pushes the ticket's latest event of each
 * kind again with {@code resync=1}: the kit flags it ({@link Event#isResync()}) and hands it over even though
 * its id was applied before (a resync is asked for because the subscriber lost its state).
 */
class ResyncTest {
  @Test
  void aResyncedEventIsFlaggedAndDeliveredEvenThoughItsIdWasSeen() throws Exception {
    KitStack.assumeRunning();
    Received received = new Received();
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JRESYNC").build(), received)) {
      KitStack.send("resync");
      List<String> sent = KitStack.eventIds("resync");
      List<Event> live = received.await(3, Duration.ofSeconds(30));
      assertEquals(sent, KitStack.ids(live));
      assertTrue(live.stream().noneMatch(Event::isResync));
      assertTrue(live.stream().allMatch(e -> !e.context().containsKey("resync")));

      String out = KitStack.wostream("resync", "JRESYNC", "--ticket", "8200001");
      assertTrue(out.contains("1 tickets looked at, 1 entitled, 1 events to resync"), out);
      List<Event> all = received.await(4, Duration.ofSeconds(30));
      received.assertNoMoreThan(4, Duration.ofMillis(500));
      Event again = all.get(3);
      assertEquals("8200001-2", again.eventId(), "the latest event of its kind, with its original id");
      assertTrue(again.isResync());
      assertEquals("1", again.context().get("resync"));
      assertEquals(live.get(2).message(), again.message(), "the same envelope");
      assertEquals(0, sub.duplicatesSkipped(), "a resynced event is never skipped as a duplicate");
      assertFalse(live.get(2).isResync());
    }
  }
}
