package io.wostream.subscriber;

/**
 * A {@code tcp} endpoint was dialled and the router never greeted us: wostream's routers speak TLS only, and a
 * TLS port waits silently for a TLS handshake that a plain-TCP client never starts (without a connect timeout
 * Ice waits about a minute and then reports a lost connection). Use {@code ssl -h HOST -p PORT}.
 */
public final class PlainTcpToTlsPortException extends SubscriberException {
  private static final long serialVersionUID = 1L;

  PlainTcpToTlsPortException(String endpoints, long waitedMillis, Throwable cause) {
    super(
        "no Ice greeting within " + waitedMillis + " ms from " + endpoints
            + ": this is plain TCP to a TLS port. wostream's routers speak TLS only: dial"
            + " 'ssl -h HOST -p PORT' (and give the CA to check the router with)",
        cause);
  }

  @Override
  public boolean retryable() {
    return false;
  }
}
