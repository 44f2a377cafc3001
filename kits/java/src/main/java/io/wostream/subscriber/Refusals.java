package io.wostream.subscriber;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps what Ice for Java throws to the kit's exceptions, with words that say what to do. What each failure looks
 * like in Ice 3.7 for Java (found against the real router, see README.md):
 *
 * <ul>
 *   <li>wrong baseCode or secret: {@code Glacier2.PermissionDeniedException}, reason {@code wrong baseCode or
 *       secret};
 *   <li>login back-off: the same exception, reason {@code too many failed logins ...; try again in N s};
 *   <li>plain TCP to the TLS port: the router never sends Ice's greeting, so the connect timeout expires ({@code
 *       ConnectTimeoutException}; without one, {@code ConnectionLostException} after about a minute);
 *   <li>a router certificate the CA did not sign (or that names another host): {@code Ice.SecurityException},
 *       reason {@code IceSSL: server did not supply a certificate}, no cause; {@link TlsDiagnosis} finds out
 *       which.
 * </ul>
 */
final class Refusals {
  private static final String BACKOFF = "too many failed logins";
  private static final Pattern RETRY_IN = Pattern.compile("try again in (\\d+) s");

  private Refusals() {}

  /** The N of wostream's "try again in N s" (a login back-off, a resync asked too soon), if the text has one. */
  static Optional<Duration> retryIn(String reason) {
    Matcher m = RETRY_IN.matcher(reason);
    return m.find() ? Optional.of(Duration.ofSeconds(Long.parseLong(m.group(1)))) : Optional.empty();
  }

  static SubscriberException permissionDenied(SubscriberConfig config, String reason, Throwable cause) {
    if (reason.startsWith(BACKOFF)) {
      return new LoginBackoffException(reason, retryIn(reason).orElse(Duration.ZERO), cause);
    }
    if (reason.startsWith("internal server error")) { // glacier2router could not reach wostream's verifier
      return new RouterUnavailableException(
          "the router could not reach wostream behind it (" + reason + "); retrying", cause);
    }
    return new WrongCredentialsException(config.baseCode(), reason, cause);
  }

  static SubscriberException cannotCreateSession(SubscriberConfig config, String reason, Throwable cause) {
    if (reason.startsWith("wrong baseCode or secret")) { // disabled or removed between verifier and session
      return new WrongCredentialsException(config.baseCode(), reason, cause);
    }
    return new RouterUnavailableException("the router could not create a session: " + reason, cause);
  }

  static SubscriberException local(SubscriberConfig config, PemTrust trust, com.zeroc.Ice.LocalException e) {
    String routers = String.join(", ", config.routers());
    if (e instanceof com.zeroc.Ice.SecurityException) {
      String why = TlsDiagnosis.explain(config, trust);
      if (why == null) {
        why = "the TLS handshake with the router failed (" + ((com.zeroc.Ice.SecurityException) e).reason + ")";
      }
      return new UntrustedRouterException(why + " [routers " + routers + ", CA file " + config.caFile() + "]", e);
    }
    boolean silent =
        e instanceof com.zeroc.Ice.ConnectTimeoutException
            || e instanceof com.zeroc.Ice.ConnectionLostException;
    if (silent && config.dialsPlainTcp()) {
      return new PlainTcpToTlsPortException(routers, config.connectTimeout().toMillis(), e);
    }
    if (e instanceof com.zeroc.Ice.ConnectTimeoutException) {
      return new RouterUnavailableException(
          "no router greeted us within " + config.connectTimeout().toMillis() + " ms (" + routers + ")", e);
    }
    if (e instanceof com.zeroc.Ice.ConnectFailedException) {
      return new RouterUnavailableException("no router accepts connections (" + routers + ")", e);
    }
    return new RouterUnavailableException(
        "lost the router (" + e.getClass().getSimpleName() + ": " + e + ")", e);
  }
}
