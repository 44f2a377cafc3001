package io.wostream.subscriber;

import java.util.List;

/**
 * What your system does with several consecutive events at once (opt in with
 * {@link WostreamSubscriber#startBatches}). Events are oldest first; per-ticket order holds within and across
 * batches. Called on one thread at a time.
 *
 * <p>Return normally to acknowledge every event. Throw {@link BatchPartlyAccepted} to acknowledge the first
 * {@code accepted} events: wostream pushes the rest again later, starting with the first one not accepted. Throw
 * anything else to refuse the whole batch (it comes again, with the same event ids).
 */
@FunctionalInterface
public interface BatchHandler {
  void onBatch(List<Event> events) throws Exception;
}
