package io.wostream.subscriber;

/**
 * No router could be reached, or the router could not reach wostream behind it (a worker restarting), or the
 * baseCode has the most sessions wostream allows until old ones expire. Transient: the kit retries with back-off
 * across the routers it was given.
 */
public final class RouterUnavailableException extends SubscriberException {
  private static final long serialVersionUID = 1L;

  RouterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
