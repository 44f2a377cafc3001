package io.wostream.subscriber;

import java.time.Duration;
import java.util.Optional;

/**
 * wostream refused a resync ({@code ResyncRefused}); {@link #reason()} says why in wostream's words. Two kinds:
 *
 * <ul>
 *   <li>too soon: {@code one resync every 60 s: try again in N s} (one resync per subscriber per minute by
 *       default): {@link #retryAfter()} holds the N, and {@link #retryable()} is true;
 *   <li>not what may be asked: {@code a resync reaches back at most 7 days}, or a serviceOrderId that is empty or
 *       longer than 64 characters: no wait, not retryable as asked.
 * </ul>
 */
public final class ResyncRefusedException extends SubscriberException {
  private static final long serialVersionUID = 1L;
  private final String reason;
  private final Duration retryAfter; // null: asking again the same way cannot help

  ResyncRefusedException(String reason, Throwable cause) {
    super("wostream refused the resync: " + reason, cause);
    this.reason = reason;
    this.retryAfter = Refusals.retryIn(reason).orElse(null);
  }

  /** wostream's words, e.g. {@code one resync every 60 s: try again in 42 s}. */
  public String reason() {
    return reason;
  }

  /** How long to wait before the next resync (the N of "try again in N s"); empty when waiting cannot help. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** True when it was refused only for being too soon: the same resync succeeds after {@link #retryAfter()}. */
  @Override
  public boolean retryable() {
    return retryAfter != null;
  }
}
