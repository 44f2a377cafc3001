package io.wostream.subscriber;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last {@code capacity} event ids seen, in memory: enough to drop the duplicates of at-least-once delivery,
 * which follow the original within seconds to minutes (a few thousand events at most), without growing forever.
 */
public final class LruSeenEvents implements SeenEvents {
  private final Map<String, Boolean> ids;

  public LruSeenEvents(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1");
    }
    this.ids =
        new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > capacity;
          }
        };
  }

  @Override
  public synchronized boolean contains(String eventId) {
    return ids.get(eventId) != null;
  }

  @Override
  public synchronized void add(String eventId) {
    ids.put(eventId, Boolean.TRUE);
  }

  /** How many ids are remembered now. */
  public synchronized int size() {
    return ids.size();
  }
}
