package io.wostream.subscriber;

/**
 * What your system does with one event. Called on one thread at a time, in the order wostream pushes (per
 * ticket, oldest first).
 *
 * <p>Return normally to acknowledge the event. Throw anything to refuse it: the kit answers wostream with
 * {@code PushRefused} (your exception's message as the reason) and wostream pushes the same event again later,
 * with backoff and the same event id; after its retries run out it keeps it as a dead letter for the operator.
 */
@FunctionalInterface
public interface EventHandler {
  void onEvent(Event event) throws Exception;
}
