package io.wostream.subscriber;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What waits for this subscriber, as wostream sees it now: the contract's {@code SubscriberStatus}, the same
 * figures the operators' pages show (at most a few seconds old). Immutable.
 *
 * @param state {@code online}, {@code slow}, {@code failing}, {@code offline}, {@code paused} or {@code disabled}
 * @param backlog events waiting in this subscriber's topic, not yet acknowledged or dead-lettered
 * @param oldestWaitingSeconds seconds the oldest of them has waited; -1 when none waits
 * @param lastDeliveredEventId the eventId of the last event handed on (acknowledged or dead-lettered); "" when
 *     none is known
 * @param deadLetters events in this subscriber's dead topic (an operator replays them)
 * @param retrying events waiting out a retry backoff
 */
public record SubscriberStatus(
    String state,
    long backlog,
    long oldestWaitingSeconds,
    String lastDeliveredEventId,
    long deadLetters,
    long retrying) {

  public SubscriberStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(lastDeliveredEventId, "lastDeliveredEventId");
  }

  static SubscriberStatus of(wostream.SubscriberStatus s) {
    return new SubscriberStatus(
        s.state, s.backlog, s.oldestWaitingSeconds, s.lastDeliveredEventId, s.deadLetters, s.retrying);
  }

  /** How long the oldest waiting event has waited; empty when none waits. */
  public Optional<Duration> oldestWaiting() {
    return oldestWaitingSeconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(oldestWaitingSeconds));
  }

  /** The eventId of the last event handed on; empty when none is known. */
  public Optional<String> lastDelivered() {
    return lastDeliveredEventId.isEmpty() ? Optional.empty() : Optional.of(lastDeliveredEventId);
  }
}
