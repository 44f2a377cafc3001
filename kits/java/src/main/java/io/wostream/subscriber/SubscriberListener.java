package io.wostream.subscriber;

/**
 * What happens to the connection, for logs and monitoring. Called from the kit's own thread; keep it quick.
 * Every method has an empty default.
 */
public interface SubscriberListener {
  /** The callback is registered through {@code router} (an endpoint string): events flow. */
  default void onSubscribed(String router) {}

  /** The connection to the router was lost; the kit reconnects (to the first router that answers). */
  default void onDisconnected(String router) {}

  /** A reconnect attempt failed; the kit tries again after {@code retryInMillis}. */
  default void onRetry(SubscriberException why, long retryInMillis) {}

  /** The kit stopped for good because retrying cannot help (wrong secret, untrusted router, ...). */
  default void onGaveUp(SubscriberException why) {}
}
