package io.wostream.subscriber;

/**
 * The event ids your system already applied, so a duplicate (the same event pushed again after a lost
 * acknowledgement, a worker restart or a rebalance: delivery is at least once) is skipped but still acknowledged.
 *
 * <p>The kit asks {@link #contains} before calling your handler and calls {@link #add} only after your handler
 * returned normally. The default, {@link LruSeenEvents}, remembers a bounded number of ids in memory; implement
 * this interface over your own database (in the same transaction as the event's effect) to survive restarts.
 * Implementations must be thread-safe.
 */
public interface SeenEvents {
  /** Whether the event with this id was applied already. */
  boolean contains(String eventId);

  /** Remembers that the event with this id was applied. */
  void add(String eventId);
}
