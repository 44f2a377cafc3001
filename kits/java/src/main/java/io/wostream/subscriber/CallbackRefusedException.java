package io.wostream.subscriber;

/**
 * wostream refused the callback ({@code SubscribeRefused}); the reason says why. With this kit it means the
 * contract changed under it (or more than 10 callback changes a minute): upgrade the kit, or tell the operator.
 */
public final class CallbackRefusedException extends SubscriberException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  CallbackRefusedException(String reason, Throwable cause) {
    super("wostream refused the callback: " + reason, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }

  @Override
  public boolean retryable() {
    return false;
  }
}
