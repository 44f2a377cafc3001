package io.wostream.subscriber;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import wostream.BatchRefused;
import wostream.PushRefused;

/**
 * Turns wostream's calls into handler calls: reads the envelope and its request context, skips events already
 * applied (by event id), and answers with the contract's refusals when the handler throws. Knows nothing about
 * sessions or routers, so it is the same for every connection the subscriber makes.
 */
final class Delivery {
  /** wostream keeps at most 200 characters of a refusal's reason; longer ones are cut here, not there. */
  static final int MAX_REASON = 200;

  private final EventHandler single;
  private final BatchHandler batch;
  private final SeenEvents seen;
  private final AtomicLong duplicates = new AtomicLong();

  private Delivery(EventHandler single, BatchHandler batch, SeenEvents seen) {
    this.single = single;
    this.batch = batch;
    this.seen = seen;
  }

  static Delivery ofEvents(EventHandler handler, SeenEvents seen) {
    return new Delivery(handler, null, seen);
  }

  static Delivery ofBatches(BatchHandler handler, SeenEvents seen) {
    return new Delivery(null, handler, seen);
  }

  boolean batches() {
    return batch != null;
  }

  long duplicatesSkipped() {
    return duplicates.get();
  }

  /** One {@code push}: the event goes to the handler (a batch handler gets a batch of one). */
  void push(String message, Map<String, String> context) throws PushRefused {
    Event event = event(message, context, context.getOrDefault("eventId", ""));
    if (isDuplicate(event)) {
      return;
    }
    try {
      if (single != null) {
        single.onEvent(event);
      } else {
        batch.onBatch(List.of(event));
      }
    } catch (BatchPartlyAccepted partly) {
      if (partly.accepted() < 1) {
        throw new PushRefused(reason(partly));
      }
    } catch (Exception e) {
      throw new PushRefused(reason(e));
    }
    remember(event);
  }

  /**
   * One {@code pushBatch}: the events not yet applied go to the handler, in order. A refusal of the k-th of
   * those acknowledges everything before it in the original batch (skipped duplicates included).
   */
  void pushBatch(String[] messages, Map<String, String> context) throws PushRefused {
    List<String> ids = Envelope.parseIds(context.get("eventIds"));
    Map<String, String> shared = new java.util.HashMap<>(context);
    shared.remove("eventIds");
    List<Event> fresh = new ArrayList<>();
    List<Integer> positions = new ArrayList<>(); // index in `messages` of each event in `fresh`
    Set<String> inThisBatch = new HashSet<>();
    for (int i = 0; i < messages.length; i++) {
      String id = i < ids.size() ? ids.get(i) : "";
      Map<String, String> own = new java.util.HashMap<>(shared);
      own.put("eventId", id);
      Event event = event(messages[i], own, id);
      if (isDuplicate(event) || (!id.isEmpty() && !event.isResync() && !inThisBatch.add(id))) {
        continue;
      }
      fresh.add(event);
      positions.add(i);
    }
    if (fresh.isEmpty()) {
      return;
    }
    try {
      if (batch != null) {
        batch.onBatch(List.copyOf(fresh));
      } else {
        for (Event e : fresh) {
          single.onEvent(e); // not reached today: wostream sends batches only to batch subscribers
        }
      }
    } catch (BatchPartlyAccepted partly) {
      int accepted = Math.min(partly.accepted(), fresh.size());
      fresh.subList(0, accepted).forEach(this::remember);
      if (accepted == fresh.size()) {
        return;
      }
      throw new BatchRefused(reason(partly), positions.get(accepted));
    } catch (Exception e) {
      throw new PushRefused(reason(e));
    }
    fresh.forEach(this::remember);
  }

  private static Event event(String message, Map<String, String> context, String eventId) {
    return new Event(
        message,
        Envelope.parse(message),
        eventId,
        attempt(context.get("attempt")),
        "1".equals(context.get("resync")),
        context);
  }

  private static int attempt(String text) {
    try {
      return text == null ? 0 : Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A resync is asked for on purpose (the subscriber lost its state): never skipped. */
  private boolean isDuplicate(Event event) {
    if (event.isResync() || event.eventId().isEmpty() || !seen.contains(event.eventId())) {
      return false;
    }
    duplicates.incrementAndGet();
    return true;
  }

  private void remember(Event event) {
    if (!event.eventId().isEmpty()) {
      seen.add(event.eventId());
    }
  }

  static String reason(Exception e) {
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON);
  }
}
