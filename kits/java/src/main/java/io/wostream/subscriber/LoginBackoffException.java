package io.wostream.subscriber;

import java.time.Duration;

/**
 * Too many failed logins from this address or for this baseCode: wostream does not even check the secret until
 * {@link #retryAfter()} has passed. Retryable (the kit waits at least that long); if it keeps happening, a wrong
 * secret is being tried somewhere, perhaps by an old deployment of yours.
 */
public final class LoginBackoffException extends SubscriberException {
  private static final long serialVersionUID = 1L;
  private final String reason;
  private final Duration retryAfter;

  LoginBackoffException(String reason, Duration retryAfter, Throwable cause) {
    super("the router asks to wait before logging in again: " + reason, cause);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  /** The router's words: {@code too many failed logins ...; try again in N s}. */
  public String reason() {
    return reason;
  }

  /** The N of "try again in N s" (zero if the text had none). */
  public Duration retryAfter() {
    return retryAfter;
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
