package io.wostream.subscriber;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What a test's handler received, in order, and the batches as they came. Thread-safe. */
final class Received implements EventHandler, BatchHandler {
  private final List<Event> events = new ArrayList<>();
  private final List<List<Event>> batches = new ArrayList<>();

  @Override
  public synchronized void onEvent(Event event) {
    events.add(event);
  }

  @Override
  public synchronized void onBatch(List<Event> batch) {
    batches.add(List.copyOf(batch));
    events.addAll(batch);
  }

  synchronized List<Event> events() {
    return List.copyOf(events);
  }

  synchronized List<List<Event>> batches() {
    return List.copyOf(batches);
  }

  synchronized int count() {
    return events.size();
  }

  /** Waits until at least {@code n} events arrived; returns them all. */
  List<Event> await(int n, Duration timeout) throws InterruptedException {
    KitStack.await(() -> count() >= n, timeout, n + " events (got " + count() + ")");
    return events();
  }

  /** Checks for {@code quiet} that nothing more than {@code n} arrives (after waiting for the n). */
  void assertNoMoreThan(int n, Duration quiet) throws InterruptedException {
    long end = System.nanoTime() + quiet.toNanos();
    while (System.nanoTime() < end) {
      if (count() > n) {
        throw new AssertionError("more than " + n + " events: " + KitStack.ids(events()));
      }
      Thread.sleep(20);
    }
  }
}
