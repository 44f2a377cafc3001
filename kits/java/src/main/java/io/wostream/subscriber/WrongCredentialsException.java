package io.wostream.subscriber;

/**
 * The router refused the login: {@code wrong baseCode or secret}. wostream gives the same answer for an unknown,
 * disabled or mistyped baseCode and for a wrong secret, so nobody learns which codes exist. Check both with the
 * operator; after a secret rotation, log in with the new secret. Not retried: retrying a wrong secret only earns
 * a login back-off.
 */
public final class WrongCredentialsException extends SubscriberException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  WrongCredentialsException(String baseCode, String reason, Throwable cause) {
    super(
        "the router refused baseCode " + baseCode + ": " + reason
            + " (the same answer for an unknown or disabled baseCode and a wrong secret: check both)",
        cause);
    this.reason = reason;
  }

  /** The router's words, e.g. {@code wrong baseCode or secret}. */
  public String reason() {
    return reason;
  }

  @Override
  public boolean retryable() {
    return false;
  }
}
