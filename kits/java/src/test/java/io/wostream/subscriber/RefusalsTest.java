package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each way a connection is refused becomes an exception that says what to fix, and each test first proves its
 * premise: the same client with the one thing put right gets through.
 */
class RefusalsTest {
  @Test
  void aWrongSecretIsRefusedClearlyAndTheSameClientWithTheRightSecretSubscribes() throws Exception {
    KitStack.assumeRunning();
    SubscriberConfig right = KitStack.config("JREFUSE").build();
    SubscriberConfig wrong = right.toBuilder().secret("not-the-secret").build();

    long started = System.nanoTime();
    WrongCredentialsException e =
        assertThrows(WrongCredentialsException.class, () -> WostreamSubscriber.start(wrong, ev -> {}));
    assertEquals("wrong baseCode or secret", e.reason());
    assertTrue(e.getMessage().startsWith("the router refused baseCode JREFUSE: wrong baseCode or secret"), e.getMessage());
    assertFalse(e.retryable());
    assertInstanceOf(com.zeroc.Glacier2.PermissionDeniedException.class, e.getCause());
    assertFalse(e.getMessage().contains("not-the-secret"), "the secret is never in a message");
    assertTrue(System.nanoTime() - started < Duration.ofSeconds(15).toNanos(), "refused at once, not retried");

    try (WostreamSubscriber sub = WostreamSubscriber.start(right, ev -> {})) {
      assertTrue(sub.isSubscribed());
    }
  }

  @Test
  void repeatedFailedLoginsGetTheBackoffWithItsWaitAndTheRightSecretGetsInAfterIt() throws Exception {
    KitStack.assumeRunning();
    SubscriberConfig right = KitStack.config("JTHROTTLE").build();
    SubscriberConfig wrong = right.toBuilder().secret("guess").build();
    SubscriberConfig once = wrong.toBuilder().startTimeout(Duration.ZERO).build(); // no retry inside start
    List<SubscriberException> refusals = new ArrayList<>();
    // wostream allows 5 failures, then asks to wait 1 s, 2 s, 4 s ... after each further one; on a slow
    // machine an attempt may come after the wait has passed (and fail again), so try up to 9 times
    while (refusals.size() < 9 && !(last(refusals) instanceof LoginBackoffException)) {
      refusals.add(assertThrows(SubscriberException.class, () -> WostreamSubscriber.start(once, ev -> {})));
    }
    assertTrue(refusals.size() >= 6, "5 failures are free: " + refusals);
    refusals.subList(0, refusals.size() - 1).forEach(r -> assertInstanceOf(WrongCredentialsException.class, r));
    LoginBackoffException backoff = assertInstanceOf(LoginBackoffException.class, last(refusals));
    assertTrue(
        backoff.reason().matches("too many failed logins for this baseCode; try again in \\d+ s"),
        backoff.reason());
    assertTrue(backoff.retryable());
    assertTrue(backoff.retryAfter().compareTo(Duration.ofSeconds(16)) <= 0, backoff.reason());

    List<SubscriberException> retries = new ArrayList<>();
    SubscriberConfig patient = right.toBuilder().listener(new SubscriberListener() {
      @Override
      public void onRetry(SubscriberException why, long retryInMillis) {
        retries.add(why);
      }
    }).build();
    try (WostreamSubscriber sub = WostreamSubscriber.start(patient, ev -> {})) {
      assertTrue(sub.isSubscribed(), "the kit waits out the back-off, then logs in");
    }
    assertTrue(retries.stream().allMatch(r -> r instanceof LoginBackoffException), retries.toString());
  }

  private static SubscriberException last(List<SubscriberException> list) {
    return list.isEmpty() ? null : list.get(list.size() - 1);
  }

  @Test
  void plainTcpToTheTlsPortFailsWithinTheConnectTimeoutAndSaysUseTls() throws Exception {
    KitStack.assumeRunning();
    String port = Integer.toString(KitStack.routerPort(1));
    SubscriberConfig tcp =
        KitStack.config("JREFUSE")
            .routers(List.of("tcp -h 127.0.0.1 -p " + port))
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    long started = System.nanoTime();
    PlainTcpToTlsPortException e =
        assertThrows(PlainTcpToTlsPortException.class, () -> WostreamSubscriber.start(tcp, ev -> {}));
    long took = Duration.ofNanos(System.nanoTime() - started).toMillis();
    assertTrue(took < 6_000, "failed after " + took + " ms, not after Ice's minute");
    assertTrue(e.getMessage().contains("plain TCP to a TLS port"), e.getMessage());
    assertTrue(e.getMessage().contains("'ssl -h HOST -p PORT'"), e.getMessage());
    assertInstanceOf(com.zeroc.Ice.ConnectTimeoutException.class, e.getCause());

    SubscriberConfig ssl = tcp.toBuilder().routers(List.of("ssl -h 127.0.0.1 -p " + port)).build();
    try (WostreamSubscriber sub = WostreamSubscriber.start(ssl, ev -> {})) {
      assertTrue(sub.isSubscribed(), "the same port with ssl works");
    }
  }

  @Test
  void aRouterCertificateNotSignedByTheGivenCaIsExplainedNotReportedAsMissing() throws Exception {
    KitStack.assumeRunning();
    SubscriberConfig right = KitStack.config("JREFUSE").routers(List.of(KitStack.routers().get(1))).build();
    SubscriberConfig otherCa = right.toBuilder().caFile(Path.of(KitStack.env("WOSTREAM_KIT_OTHER_CA"))).build();
    UntrustedRouterException e =
        assertThrows(UntrustedRouterException.class, () -> WostreamSubscriber.start(otherCa, ev -> {}));
    assertTrue(e.getMessage().startsWith("the router's certificate (CN=glacier2router,O=wostream, issued by"
        + " CN=wostream-local-ca,O=wostream) is not signed by the CA you gave (CN=wostream-local-ca,O=wostream),"
        + " a CA of the same name with another key (made again?): ask the operator for the CA that signed the"
        + " router's certificate"), e.getMessage());
    assertFalse(e.retryable());
    // what Ice itself says, which the kit explains
    assertEquals("IceSSL: server did not supply a certificate", ((com.zeroc.Ice.SecurityException) e.getCause()).reason);

    try (WostreamSubscriber sub = WostreamSubscriber.start(right, ev -> {})) {
      assertTrue(sub.isSubscribed(), "the same client with the CA that signed the router gets through");
    }
  }
}
