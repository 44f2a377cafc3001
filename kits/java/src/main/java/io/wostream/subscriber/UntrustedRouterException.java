package io.wostream.subscriber;

/**
 * The TLS handshake failed on our side: the router's certificate is not signed by the CA you gave, or it does
 * not name the host you dial. Either you were given another CA (ask the operator for the CA that signed the
 * router's certificate), or something else answers on that address. Never retried: talking to a router we
 * cannot authenticate would hand it the secret.
 */
public final class UntrustedRouterException extends SubscriberException {
  private static final long serialVersionUID = 1L;

  UntrustedRouterException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean retryable() {
    return false;
  }
}
