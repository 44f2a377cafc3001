package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A subscriber started with {@code startBatches} gets several events per call, in each ticket's order; a batch
 * partly accepted is taken up again from the first event not accepted (wostream pushes the rest at once, as a
 * new batch whose attempt count starts again at 1: the count belongs to a batch's first event).
 */
class BatchTest {
  @Test
  void batchesWhenOptedInInTicketOrderAndAPartlyAcceptedBatchGoesOnFromItsFirstRefusedEvent() throws Exception {
    KitStack.assumeRunning();
    Received received = new Received();
    AtomicReference<List<Event>> refused = new AtomicReference<>();
    BatchHandler handler =
        batch -> {
          if (refused.get() == null && batch.size() > 2) { // the first real batch: take its first event only
            refused.set(batch);
            received.onBatch(batch.subList(0, 1));
            throw new BatchPartlyAccepted(1, "test: the rest later");
          }
          received.onBatch(batch);
        };
    List<String> sent = KitStack.eventIds("batch");
    try (WostreamSubscriber sub = WostreamSubscriber.startBatches(KitStack.config("JBATCH").build(), handler)) {
      KitStack.send("batch");
      List<Event> got = received.await(sent.size(), Duration.ofSeconds(60));
      received.assertNoMoreThan(sent.size(), Duration.ofMillis(500));
      for (String ticket : List.of("8300001", "8300002", "8300003", "8300004")) {
        assertEquals(
            sent.stream().filter(id -> id.startsWith(ticket + "-")).toList(),
            KitStack.idsOfTicket(got, ticket),
            "ticket " + ticket + ": every event once, in order");
      }
      int largest = received.batches().stream().mapToInt(List::size).max().orElse(0);
      assertTrue(largest > 1, "several events per call: " + largest);
      assertTrue(refused.get() != null, "a batch of more than two came, and was partly accepted");
      String firstNotAccepted = refused.get().get(1).eventId();
      assertTrue(
          received.batches().stream().anyMatch(b -> b.get(0).eventId().equals(firstNotAccepted)),
          "a later batch starts with the first event not accepted");
      assertEquals(0, sub.duplicatesSkipped(), "the accepted event was not pushed again");
    }
  }
}
