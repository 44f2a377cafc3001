package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import wostream.BatchRefused;
import wostream.PushRefused;

/** Delivery's rules without a network: envelopes and contexts in, handler calls and refusals out. */
class DeliveryTest {
  private static final String MESSAGE =
      "{\"baseCode\":\"\",\"dataArea\":\"fwwt\",\"changeId\":\"2\",\"data\":\"{\\\"serviceOrderId\\\":\\\"7\\\"}\"}";

  @Test
  void anEventReadsItsEnvelopeAndContext() throws Exception {
    Received got = new Received();
    Delivery d = Delivery.ofEvents(got, new LruSeenEvents(10));
    d.push(MESSAGE, Map.of("eventId", "7-0", "attempt", "3"));
    Event e = got.events().get(0);
    assertEquals(List.of("", "fwwt", "2", "{\"serviceOrderId\":\"7\"}", "7-0", 3),
        List.of(e.baseCode(), e.dataArea(), e.changeId(), e.data(), e.eventId(), e.attempt()));
    assertEquals(MESSAGE, e.message());
    assertEquals(false, e.isResync());
    assertEquals("7", e.serviceOrderId(), "the ticket of the body");
  }

  @Test
  void aDuplicateIsSkippedButAResyncNeverIs() throws Exception {
    Received got = new Received();
    Delivery d = Delivery.ofEvents(got, new LruSeenEvents(10));
    d.push(MESSAGE, Map.of("eventId", "7-0", "attempt", "1"));
    d.push(MESSAGE, Map.of("eventId", "7-0", "attempt", "2")); // returns normally: acknowledged
    d.push(MESSAGE, Map.of("eventId", "7-0", "attempt", "1", "resync", "1"));
    assertEquals(List.of("7-0", "7-0"), KitStack.ids(got.events()));
    assertEquals(List.of(false, true), got.events().stream().map(Event::isResync).toList());
    assertEquals(1, d.duplicatesSkipped());
  }

  @Test
  void aHandlerFailureIsAPushRefusedWithItsMessageAndTheEventIsNotRemembered() {
    List<String> calls = new ArrayList<>();
    Delivery d =
        Delivery.ofEvents(
            e -> {
              calls.add(e.eventId());
              throw new IllegalStateException("x".repeat(300));
            },
            new LruSeenEvents(10));
    PushRefused refused = assertThrows(PushRefused.class, () -> d.push(MESSAGE, Map.of("eventId", "7-0")));
    assertEquals("x".repeat(Delivery.MAX_REASON), refused.reason);
    assertThrows(PushRefused.class, () -> d.push(MESSAGE, Map.of("eventId", "7-0")));
    assertEquals(List.of("7-0", "7-0"), calls, "not skipped: it was never applied");
  }

  @Test
  void aPartlyAcceptedBatchCountsTheSkippedDuplicatesBeforeTheRefusal() throws Exception {
    LruSeenEvents seen = new LruSeenEvents(10);
    seen.add("a");
    List<List<String>> calls = new ArrayList<>();
    Delivery d =
        Delivery.ofBatches(
            batch -> {
              calls.add(KitStack.ids(batch));
              throw new BatchPartlyAccepted(1, "later");
            },
            seen);
    String[] four = {MESSAGE, MESSAGE, MESSAGE, MESSAGE};
    BatchRefused refused =
        assertThrows(BatchRefused.class, () -> d.pushBatch(four, Map.of("eventIds", "[\"a\",\"b\",\"c\",\"d\"]", "attempt", "1")));
    assertEquals(List.of(List.of("b", "c", "d")), calls, "the seen one skipped");
    assertEquals(2, refused.accepted, "a (skipped) and b (accepted) are acknowledged; c goes on");
    assertEquals(true, seen.contains("b"));
    assertEquals(false, seen.contains("c"));
  }

  @Test
  void envelopesAndBatchIdsThatAreNotJsonAreReportedNotSwallowed() {
    assertThrows(IllegalArgumentException.class, () -> Envelope.parse("not json"));
    assertEquals(List.of("a", "", "c"), Envelope.parseIds("[\"a\",null,\"c\"]"));
  }

  @Test
  void theLruForgetsTheLeastRecentlyUsedIdFirst() {
    LruSeenEvents seen = new LruSeenEvents(2);
    seen.add("a");
    seen.add("b");
    seen.contains("a"); // a is used: b is now the eldest
    seen.add("c");
    assertEquals(List.of(true, false, true), List.of(seen.contains("a"), seen.contains("b"), seen.contains("c")));
    assertEquals(2, seen.size());
  }
}
